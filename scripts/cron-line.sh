#!/bin/sh
# cron-line.sh: prints an /etc/cron.d line that runs `autocert renew` twice a day at a minute of its own (so that many hosts do not ask the CA at once).
#
#   scripts/cron-line.sh [USER] [AUTOCERT] >/etc/cron.d/autocert
#
# USER (default autocert) needs the cache as its home's .autocert-cache or
# AUTOCERT_CACHE, and port 80: `setcap cap_net_bind_service=+ep AUTOCERT`,
# or --webroot.  Exit 2 (nothing due) is silent under -q: cron mails only
# failures.
set -eu
user=${1:-autocert}
bin=${2:-/usr/local/bin/autocert}
minute=$(od -An -N2 -tu2 /dev/urandom | awk '{ print $1 % 60 }')
hour=$(od -An -N2 -tu2 /dev/urandom | awk '{ print $1 % 12 }')
echo "# autocert: renew what is due, twice a day; reload nginx after a renewal"
echo "$minute $hour,$((hour + 12)) * * * $user $bin -q renew --deploy-hook 'sudo -n systemctl reload nginx' || [ \$? -eq 2 ]"
