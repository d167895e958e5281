# bench/lib.sh: what bench/run, bench/soak, bench/report-bench and
# bench/profile share: build the module, start a private MariaDB and a private
# Apache (event MPM) on free 127.0.0.1 ports in a temp folder, drive them
# with wrk, read child RSS from /proc, and stop everything on exit.
#
# Sourced (bash), not run.  The caller sets `me` (its name) first.
# Nothing here touches the system's apache2 or mariadb services: every
# server runs from the temp folder, on a port chosen free at start.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$top/bench
mods=/usr/lib/apache2/modules
# MODULE=/path/to/mod_minicc.so measures another build (before/after a
# change) with the same scripts; the tree is then not built.
module=${MODULE:-$top/mod_minicc/.libs/mod_minicc.so}
operator_telnum=+15005550006     # the operator the Lua bodies call from

say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { say "$*"; exit 1; }

# ---- sizing (environment overrides) ------------------------------------------
# 2 cores: two children, so that one busy or stuck child never holds every
# connection.  128 threads each: the event MPM parks idle keep-alive
# connections without a thread, but a child whose workers are all busy
# closes its kept-alive connections (clients see resets), and the two
# children do not share connections evenly; with 64 threads a child the
# 128-connection runs lost a few dozen requests to that.  Rule: threads per
# child >= the most connections one child may hold at once.
CHILDREN=${CHILDREN:-2}
THREADS=${THREADS:-128}
# Database connections per child.  A DB webhook holds one connection for
# one round trip or two, so far fewer than THREADS keep 2 cores busy; 32
# per child (64 in all) covers the 32-connection runs without waiting and
# lets the 128 run show the queueing.  DBDMin opens them at child start,
# so that no measurement pays for connecting.
DBDMIN=${DBDMIN:-16}
DBDKEEP=${DBDKEEP:-32}
DBDMAX=${DBDMAX:-32}
# DBD_EXTRA: more DBDParams keys, e.g. DBD_EXTRA=reconnect=0

# ---- CPU placement -----------------------------------------------------------
# PIN=1: MariaDB on the last core; Apache, wrk and the C client on the
# others (taskset; every thread a process starts later inherits it), as
# when the database has a machine of its own.  Default: the kernel places
# every thread on any core.  On 2 cores the placement, more than the code,
# sets the figures below 32 connections: the database's own time for the
# very same upsert (its slow log's Query_time, p50) was 265 us with the C
# client beside it and 365 us with Apache and wrk beside it.
on_db=() on_web=()
cpu_all=0-$(($(nproc) - 1))
cpu_db=$cpu_all cpu_web=$cpu_all
if [ "$(nproc)" -ge 2 ]; then
    cpu_db=$(($(nproc) - 1)) cpu_web=0-$(($(nproc) - 2))
fi
if [ "${PIN:-0}" = 1 ]; then
    [ "$(nproc)" -ge 2 ] || die "PIN=1 needs 2 cores or more"
    on_db=(taskset -c "$cpu_db")
    on_web=(taskset -c "$cpu_web")
fi

# place own|shared: move every thread of the running MariaDB and Apache
# (and so what they start later) to that layout; wrk and the C client
# start under on_web.
place() {
    local db_cpus=$cpu_all web_cpus=$cpu_all p
    on_web=()
    if [ "$1" = own ]; then
        [ "$(nproc)" -ge 2 ] || die "a core of its own for MariaDB needs 2 cores"
        db_cpus=$cpu_db web_cpus=$cpu_web
        on_web=(taskset -c "$cpu_web")
    fi
    taskset -a -p -c "$db_cpus" "$(cat "$db/mysqld.pid")" >/dev/null ||
        die "cannot place MariaDB on cores $db_cpus"
    for p in $apache_pid $(child_pids); do
        taskset -a -p -c "$web_cpus" "$p" >/dev/null ||
            die "cannot place Apache ($p) on cores $web_cpus"
    done
}

# ---- build -----------------------------------------------------------------
# Make only when a source is newer than the module (make would decide the
# same, but this keeps autoreconf out of a tree that was already built).
build_module() {
    if [ -n "${MODULE:-}" ]; then
        [ -f "$MODULE" ] || die "MODULE=$MODULE: no such file"
        return 0
    fi
    local need=
    [ -f "$module" ] || need=1
    if [ -z "$need" ] && [ -n "$(find "$top/mod_minicc" -newer "$module" \
            \( -name '*.c' -o -name '*.h' \) -print -quit)" ]; then
        need=1
    fi
    if [ -n "$need" ]; then
        say "building the module"
        if [ ! -f "$top/Makefile" ] || [ ! -x "$top/configure" ]; then
            (cd "$top" && autoreconf -fi && ./configure) >"$state/build.log" 2>&1 ||
                { tail -n 30 "$state/build.log" >&2; die "configure failed"; }
        fi
        make -C "$top" >>"$state/build.log" 2>&1 ||
            { tail -n 30 "$state/build.log" >&2; die "build failed"; }
    fi
    [ -f "$module" ] || die "no $module after the build"
}

# ---- state folder and cleanup -------------------------------------------------
apache_pid=
db_started=
bg_pids=
make_state() {
    # short path: MariaDB's socket must fit in 108 bytes
    state=$(mktemp -d "${TMPDIR:-/tmp}/mcb.XXXXXX")
    # Apache's children run as www-data (we are root) and walk this path
    chmod 755 "$state"
    db=$state/db
    trap 'cleanup; exit 130' INT
    trap 'cleanup; exit 143' TERM
    trap 'cleanup' EXIT
}

cleanup() {
    trap "" INT TERM
    trap - EXIT
    local p
    for p in $bg_pids; do
        kill "$p" 2>/dev/null || true
    done
    stop_apache
    if [ -n "$db_started" ]; then
        "$top/scripts/mariadb-private" stop "$db" >/dev/null 2>&1 || true
        db_started=
    fi
    if [ -n "${KEEP:-}" ]; then
        say "kept $state"
    else
        rm -rf "$state"
    fi
}

# ---- MariaDB -------------------------------------------------------------------
dbsql() { "$top/scripts/mariadb-private" sql "$db" "$@"; }

start_db() {
    say "starting a private MariaDB in $db"
    db_started=1
    "${on_db[@]}" "$top/scripts/mariadb-private" start "$db" >"$state/mariadb-start.log" 2>&1 ||
        { cat "$state/mariadb-start.log" >&2; die "MariaDB did not start"; }
    dbport=$("$top/scripts/mariadb-private" port "$db")
    db_tune
    echo "INSERT IGNORE INTO operators (telnum) VALUES ('$operator_telnum');" |
        dbsql || die "could not set up the database"
}

# Round trips the server answered so far: statement executions plus
# COM_PING (counted in Com_admin_commands; mod_dbd pings on every acquire)
# plus prepares (a renewed session).  The difference over a run, divided by
# its requests, is the database round trips per request.
db_cmds() {
    dbsql -N -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS
                 WHERE VARIABLE_NAME IN ('COM_ADMIN_COMMANDS', 'COM_STMT_EXECUTE',
                                         'COM_STMT_PREPARE')" 2>/dev/null || echo 0
}

# db_tune: the server settings the benchmarks run with (again after every
# restart: SET GLOBAL does not survive one).
# mariadb-private allows 200 connections; Apache keeps up to
# CHILDREN*DBDMAX open while the C client opens 128 more in the sweep.
# Its 32 MB buffer pool and 16 MB redo log suit tests, not load: the redo
# log fills every few seconds and stalls writers (p99 of 100s of ms) for
# module and C client alike.  Sizes of a small production server instead
# (both are dynamic in MariaDB 10.11); every commit is still flushed
# (innodb_flush_log_at_trx_commit=1).
db_tune() {
    echo "SET GLOBAL max_connections = 500;
          SET GLOBAL innodb_buffer_pool_size = ${DB_BUFFER_POOL:-268435456};
          SET GLOBAL innodb_log_file_size = ${DB_LOG_FILE:-268435456};" |
        dbsql || die "could not tune the database"
}

# ---- Apache ------------------------------------------------------------------
free_port() {
    perl -MIO::Socket::INET -e \
        'my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
                                        Proto => "tcp", Listen => 1) or die "$!\n";
         print $s->sockport, "\n";'
}

# write_apache_conf [EXTRA-SERVER-LINES]
# The webhooks as in conf/minicc-site.conf without Basic auth (loopback only,
# and auth is Apache's cost, not the module's), plus /static/ for the
# files the handlers are compared with.  No access log: a benchmark of the
# handler, not of logging (both sides would pay it alike anyway);
# ACCESSLOG=1 turns it on (bench/soak needs it to count answers).
write_apache_conf() {
    local extra=${1:-}
    port=${port:-$(free_port)}
    mkdir -p "$state/htdocs/static"
    local user=
    if [ "$(id -u)" = 0 ]; then
        if id www-data >/dev/null 2>&1; then user='User www-data
Group www-data'; else user='User nobody
Group nogroup'; fi
    fi
    cat >"$state/httpd.conf" <<EOF
# Generated by bench/ ($me): a private Apache for measuring mod_minicc.
ServerRoot "$state"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$state/httpd.pid"
DefaultRuntimeDir "$state"
ErrorLog "$state/error_log"
LogLevel ${LOGLEVEL:-warn}
$user

LoadModule mpm_event_module  $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dbd_module        $mods/mod_dbd.so
LoadModule minicc_module     $module

# Event MPM for 2 cores: CHILDREN x THREADS fixed for the whole run
# (StartServers = ServerLimit, spare-thread limits that never stop a
# child, MaxConnectionsPerChild 0) so that the RSS read from /proc is that
# of the same processes from start to end.
StartServers            $CHILDREN
ServerLimit             $CHILDREN
ThreadLimit             $THREADS
ThreadsPerChild         $THREADS
MaxRequestWorkers       $((CHILDREN * THREADS))
MinSpareThreads         $THREADS
MaxSpareThreads         $((CHILDREN * THREADS))
MaxConnectionsPerChild  0
# wrk keeps its connections: do not close one every 100 requests (the
# default), which would measure TCP handshakes, for handler and file alike.
KeepAlive               On
MaxKeepAliveRequests    0
KeepAliveTimeout        15
Timeout                 30

DocumentRoot "$state/htdocs"
<Directory />
    Require all denied
    AllowOverride None
</Directory>
<Directory "$state/htdocs/static">
    Require all granted
    ForceType "text/xml; charset=utf-8"
</Directory>

DBDriver mysql
DBDParams "host=127.0.0.1 port=$dbport dbname=minicc user=minicc pass=minicc${DBD_EXTRA:+ $DBD_EXTRA}"
DBDMin      $DBDMIN
DBDKeep     $DBDKEEP
DBDMax      $DBDMAX
DBDExptime  300

<Location /minicc/>
    Require all granted
</Location>
<Location /minicc/report>
    SetHandler minicc-report
</Location>
$extra
EOF
    local h
    for h in incoming operator wait guidance exit status information; do
        printf '<Location /minicc/%s>\n    SetHandler minicc-%s\n</Location>\n' \
            "$h" "$h" >>"$state/httpd.conf"
    done
    # the wait loop and the operators' loop with call-backs on (a module
    # built before them has no such directive: then no such locations)
    printf '%s\n' '<IfDirective MiniCCCallback>' '<Location /minicc/cb/>' \
        '    MiniCCCallback On' '</Location>' '<Location /minicc/cb/wait>' \
        '    SetHandler minicc-wait' '</Location>' \
        '<Location /minicc/cb/operator>' '    SetHandler minicc-operator' \
        '</Location>' '</IfDirective>' '<Location /minicc/live>' \
        '    SetHandler minicc-live' '</Location>' >>"$state/httpd.conf"
    if [ -n "${ACCESSLOG:-}" ]; then
        # status, path: what bench/soak counts the answers from
        printf '%s\n' 'LogFormat "%>s %U %D" bench' \
            "CustomLog \"$state/access_log\" bench" >>"$state/httpd.conf"
    fi
    /usr/sbin/apache2 -t -f "$state/httpd.conf" >"$state/configtest.log" 2>&1 ||
        { cat "$state/configtest.log" >&2; die "Apache refused $state/httpd.conf"; }
}

# start_apache [PREFIX-COMMAND...]: Apache in the foreground, in the background
# of this shell (a prefix such as valgrind runs it under that tool).
start_apache() {
    say "starting Apache on 127.0.0.1:$port"
    "${on_web[@]}" "$@" /usr/sbin/apache2 -f "$state/httpd.conf" -DFOREGROUND \
        ${APACHE_ARGS:-} >>"$state/apache.out" 2>&1 &
    apache_pid=$!
    local i
    for i in $(seq 600); do
        kill -0 "$apache_pid" 2>/dev/null ||
            { cat "$state/error_log" >&2 2>/dev/null; apache_pid=; die "Apache stopped at once"; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' \
            "http://127.0.0.1:$port/static/" 2>/dev/null)" != 000 ] && break
        sleep 0.1
    done
    # every child up (each opens DBDMin connections as it starts)
    for i in $(seq 100); do
        [ "$(child_pids | wc -w)" -ge "${EXPECT_CHILDREN:-$CHILDREN}" ] && break
        sleep 0.1
    done
}

stop_apache() {
    if [ -n "$apache_pid" ] && kill -0 "$apache_pid" 2>/dev/null; then
        kill -TERM "$apache_pid" 2>/dev/null || true
        wait "$apache_pid" 2>/dev/null || true
    fi
    apache_pid=
}

# The children of the foreground parent (the processes that serve).
child_pids() {
    [ -n "$apache_pid" ] || return 0
    ps -o pid= --ppid "$apache_pid" 2>/dev/null | tr -s ' \n' ' '
}

# rss_kib PID: resident set size from /proc (VmRSS, KiB)
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# "pid:rss pid:rss ..." for every child
rss_snapshot() {
    local p out=
    for p in $(child_pids); do
        out="$out $p:$(rss_kib "$p")"
    done
    echo "${out# }"
}

# ---- wrk -----------------------------------------------------------------------
# run_wrk CONNS SECONDS KIND [PATH]: one wrk run of bench/webhook.lua; sets
# W_RPS W_P50 W_P99 (ms) W_REQ W_ERR (socket errors, timeouts and statuses
# >= 400) and W_OUT (the full output).  KIND is a webhook (wait, incoming, ...),
# "static" (GET PATH) or "mix" (the soak's call mix).
run_wrk() {
    local conns=$1 secs=$2 kind=$3 path=${4:-}
    local threads=2
    [ "$conns" -lt "$threads" ] && threads=$conns
    # a fresh 8-hex prefix per run keeps every CallSid unique across runs
    local rid
    rid=$(runid)
    W_OUT=$("${on_web[@]}" wrk -t"$threads" -c"$conns" -d"${secs}s" \
        --timeout "${WRK_TIMEOUT:-5}s" -s "$bench/webhook.lua" \
        "http://127.0.0.1:$port" -- "$kind" "$rid" "$path" 2>&1)
    local line
    line=$(printf '%s\n' "$W_OUT" | grep '^RESULT ' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$W_OUT" >&2
        die "wrk gave no result ($kind, $conns connections)"
    fi
    W_REQ=$(field requests "$line")
    W_RPS=$(field rps "$line")
    W_P50=$(field p50_ms "$line")
    W_P99=$(field p99_ms "$line")
    W_ERR=$(field errors "$line")
    W_LINE=$line
}

# field NAME "k=v k=v ...": the value of NAME
field() {
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# a random 8-hex-digit run id
runid() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }
