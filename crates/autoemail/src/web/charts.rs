//! Charts drawn on the server as SVG: no script, nothing to vendor, and they
//! print. Colours come from the stylesheet's classes; every label is escaped.

use std::fmt::Write;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round upper bound for an axis whose quarter ticks are round too: 1, 2, 4, 8 × 10ⁿ.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 4.0, 8.0, 10.0].into_iter().map(|m| m * p).find(|&m| m >= v).unwrap_or(10.0 * p)
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// Vertical bars, one per (label, value); every `label_every`-th label is printed.
pub fn bars(title: &str, data: &[(String, f64)], unit: &str, label_every: usize) -> String {
    let (w, h, left, bottom, top) = (720.0, 180.0, 40.0, 28.0, 12.0);
    let plot_h = h - bottom - top;
    let max = nice_max(data.iter().map(|d| d.1).fold(0.0, f64::max));
    let n = data.len().max(1) as f64;
    let slot = (w - left - 8.0) / n;
    let mut svg = String::new();
    let _ = write!(svg, r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><title>{}</title>"#, escape(title), escape(title));
    for i in 0..=4 {
        let y = top + plot_h * (1.0 - i as f64 / 4.0);
        let _ = write!(svg, r#"<line class="grid" x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}"/>"#, w - 4.0);
        let _ = write!(svg, r#"<text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 6.0, y + 4.0, fmt_value(max * i as f64 / 4.0));
    }
    for (i, (label, v)) in data.iter().enumerate() {
        let bh = plot_h * v / max;
        let x = left + slot * i as f64 + slot * 0.15;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}"><title>{}: {} {}</title></rect>"#,
            top + plot_h - bh,
            slot * 0.7,
            escape(label),
            fmt_value(*v),
            escape(unit)
        );
        if label_every > 0 && i % label_every == 0 {
            let _ = write!(svg, r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#, x + slot * 0.35, h - 8.0, escape(label));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One horizontal bar split into parts, with a legend. Classes c0, c1, … colour the parts.
pub fn stacked(title: &str, parts: &[(String, f64)]) -> String {
    let (w, h) = (640.0, 64.0);
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let mut svg = String::new();
    let _ = write!(svg, r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><title>{}</title>"#, escape(title), escape(title));
    if total <= 0.0 {
        let _ = write!(svg, r#"<rect class="empty" x="0" y="4" width="{w}" height="24"/><text class="axis" x="8" y="21">nothing yet</text>"#);
    }
    let mut x = 0.0;
    let mut lx = 0.0;
    for (i, (label, v)) in parts.iter().enumerate() {
        if total > 0.0 && *v > 0.0 {
            let bw = w * v / total;
            let _ =
                write!(svg, r#"<rect class="c{i}" x="{x:.1}" y="4" width="{bw:.1}" height="24"><title>{}: {}</title></rect>"#, escape(label), fmt_value(*v));
            x += bw;
        }
        let pct = if total > 0.0 { 100.0 * v / total } else { 0.0 };
        let legend = format!("{label} {} ({pct:.0}%)", fmt_value(*v));
        let _ = write!(
            svg,
            r#"<rect class="c{i}" x="{lx:.1}" y="42" width="10" height="10"/><text class="legend" x="{:.1}" y="51">{}</text>"#,
            lx + 14.0,
            escape(&legend)
        );
        lx += 14.0 + 7.0 * legend.chars().count() as f64 + 16.0;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = bars("t", &[("<script>".into(), 3.0)], "x", 1);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        let svg = stacked("t", &[("a\"b".into(), 1.0)]);
        assert!(svg.contains("a&quot;b"));
    }

    #[test]
    fn bar_heights_scale_to_a_round_maximum() {
        assert_eq!(nice_max(7.0), 8.0);
        assert_eq!(nice_max(22.0), 40.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(0.0), 1.0);
        let svg = bars("t", &[("a".into(), 5.0), ("b".into(), 10.0)], "", 1);
        // 10 fills the plot (140 px high), 5 half of it.
        assert!(svg.contains(r#"height="140.0""#), "{svg}");
        assert!(svg.contains(r#"height="70.0""#), "{svg}");
    }
}
