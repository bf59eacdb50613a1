#!/usr/bin/env bash
# Real mail servers on loopback for AutoEmail's tests: Dovecot (IMAP 10143, LMTP
# 10024) and Postfix (SMTP 10025, delivering to Dovecot over LMTP), each with its
# own config in a temp folder, no systemd. Users: alice@example.test and
# bob@example.test, password "secret".
#
#   scripts/mail-peers.sh start   install if missing (root), start, print the env to export
#   scripts/mail-peers.sh stop
#   scripts/mail-peers.sh env     print the env for running tests against them
set -euo pipefail

DIR=${AUTOEMAIL_PEERS_DIR:-/tmp/autoemail-peers}
IMAP_PORT=10143
SMTP_PORT=10025
LMTP_PORT=10024

say() { echo "mail-peers: $*" >&2; }

print_env() {
  cat <<ENV
export AUTOEMAIL_TEST_IMAP=127.0.0.1:$IMAP_PORT
export AUTOEMAIL_TEST_SMTP=127.0.0.1:$SMTP_PORT
export AUTOEMAIL_TEST_DOVECOT_CONF=$DIR/dovecot.conf
ENV
}

install_packages() {
  if command -v dovecot >/dev/null && command -v postfix >/dev/null && [ -x /usr/lib/dovecot/lmtp ]; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    say "Dovecot/Postfix are not installed and installing needs root: sudo apt-get install dovecot-imapd dovecot-lmtpd postfix"
    exit 1
  fi
  say "installing dovecot-imapd dovecot-lmtpd postfix"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -q >/dev/null
  apt-get install -y -q dovecot-imapd dovecot-lmtpd postfix >/dev/null
}

stop() {
  if [ -f "$DIR/run/master.pid" ]; then kill "$(cat "$DIR/run/master.pid")" 2>/dev/null || true; fi
  if [ -d "$DIR/postfix/etc" ]; then postfix -c "$DIR/postfix/etc" stop >/dev/null 2>&1 || true; fi
  # Wait until the ports are free again, so a restart can bind them.
  for _ in $(seq 1 50); do
    busy=""
    for port in $IMAP_PORT $SMTP_PORT $LMTP_PORT; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy=1; fi
    done
    [ -z "$busy" ] && return 0
    sleep 0.1
  done
  say "ports $IMAP_PORT/$SMTP_PORT/$LMTP_PORT are still taken by another process"
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  say "nothing listens on port $1; see $DIR/*.log"
  return 1
}

start() {
  install_packages
  stop
  rm -rf "$DIR"
  mkdir -p "$DIR"/{mail,run,state,postfix/etc,postfix/queue,postfix/data}
  chmod 755 "$DIR"
  id vmail >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin vmail
  chown -R vmail:vmail "$DIR/mail"

  cat >"$DIR/users" <<USERS
alice@example.test:{PLAIN}secret::::::
bob@example.test:{PLAIN}secret::::::
mallory@example.test:{PLAIN}secret::::::
USERS

  cat >"$DIR/dovecot.conf" <<CONF
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
shutdown_clients = yes
auth_mechanisms = plain login
mail_location = maildir:$DIR/mail/%u
mail_uid = vmail
mail_gid = vmail
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = $DIR/users
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.test
}
CONF
  dovecot -c "$DIR/dovecot.conf"

  # Postfix reads the default main.cf first; it must allow our config folder.
  touch /etc/postfix/main.cf
  if ! grep -q "^alternate_config_directories.*$DIR/postfix/etc" /etc/postfix/main.cf; then
    sed -i '/^alternate_config_directories/d' /etc/postfix/main.cf
    echo "alternate_config_directories = $DIR/postfix/etc" >>/etc/postfix/main.cf
  fi
  cat >"$DIR/postfix/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $DIR/postfix/queue
data_directory = $DIR/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
virtual_mailbox_domains = example.test
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
biff = no
maillog_file = $DIR/postfix.log
maillog_file_prefixes = /var, /dev/stdout, /tmp
CONF
  # Not chrooted: our queue folder has no copy of /etc inside it.
  awk -v port="$SMTP_PORT" '
    /^smtp[ \t]+inet/ { print port " inet n - n - - smtpd"; next }
    /^[a-z]/ && NF >= 8 { $5 = "n"; print; next }
    { print }' /etc/postfix/master.cf >"$DIR/postfix/etc/master.cf"
  chown postfix "$DIR/postfix/data"
  postfix -c "$DIR/postfix/etc" check >/dev/null 2>&1 || true
  if ! postfix -c "$DIR/postfix/etc" start >/dev/null 2>&1; then
    say "postfix did not start; its own words:"
    script -qc "postfix -c $DIR/postfix/etc start" /dev/null >&2 || true
    exit 1
  fi
  wait_port "$IMAP_PORT"
  wait_port "$SMTP_PORT"
  wait_port "$LMTP_PORT"
  say "Dovecot IMAP 127.0.0.1:$IMAP_PORT, Postfix SMTP 127.0.0.1:$SMTP_PORT (users alice, bob, mallory @example.test, password secret)"
  print_env
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
