//! How the benchmarks of the review UI time a page: the median of 7 requests.

use std::time::Instant;

/// Median of 7 requests in milliseconds, and the size of the answer.
pub async fn median_ms(http: &reqwest::Client, url: &str) -> (f64, usize) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let resp = http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "GET {url}");
        bytes = resp.bytes().await.unwrap().len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], bytes)
}
