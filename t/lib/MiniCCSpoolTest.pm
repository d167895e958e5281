package MiniCCSpoolTest;
# Helpers for the MiniCCSpool tests (t/20_spool*.t, issue 4).
#
# MiniCCSpool is server-wide and changes what every Location does while the
# database is down, so these tests do not touch the Apache::Test server:
# each file starts httpd instances of its own, from a config generated into
# a folder under t/logs/spool/ (kept by t/run-suite with the other logs).
# They use the suite's private MariaDB, which they stop and start; whatever
# happens, the END block below stops our servers and brings the database
# back up for the test files that follow.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Carp qw(croak);
use File::Path qw(make_path);
use File::Temp ();
use IO::Socket::INET ();
use LWP::UserAgent ();
use HTTP::Request ();
use URI::Escape qw(uri_escape_utf8);
use Storable ();
use POSIX ();
use Time::HiRes ();
use Encode ();
use Compress::Zlib ();
use Test::More ();
use MiniCCTest ();

our @EXPORT = qw(
    httpd_start httpd_stop httpd_configtest httpd_conf server_dir
    http_post form_body clients_start clients_wait
    spool_record spool_records spool_write read_log log_count crash_lines
    db_stop db_start poll children_of db_epoch twiml_is
    rows_by_sid rows_match call_requests expected_answer OUTAGE_TESTS outage_scenario slurp
    ENQUEUE_COLS QUEUE_COLS STATUS_COLS OPSESSION_COLS OPSESSION_COLS_V2
    ENQUEUE_COLS_V2 QUEUE_COLS_V2
);

use constant HTTPD   => $ENV{HTTPD} || '/usr/sbin/apache2';
use constant MODDIR  => '/usr/lib/apache2/modules';

# Columns of each table in spool order (mod_minicc/record.c).
use constant ENQUEUE_COLS => [qw(CallSid From To CallStatus ApiVersion Direction
    ForwardedFrom CallerName QueueResult QueueSid QueueTime Queue Time)];
use constant QUEUE_COLS => [qw(CallSid From To CallStatus ApiVersion Direction
    ForwardedFrom CallerName QueueSid QueueTime DequeingCallSid Queue Time)];
# the same before the queues' names (a spool an older version left)
use constant ENQUEUE_COLS_V2 => [grep { $_ ne 'Queue' } @{ ENQUEUE_COLS() }];
use constant QUEUE_COLS_V2 => [grep { $_ ne 'Queue' } @{ QUEUE_COLS() }];
use constant STATUS_COLS => [qw(CallSid From To CallStatus ApiVersion Direction
    ForwardedFrom CallerName CallDuration RecordingUrl RecordingSid
    RecordingDuration Time)];
use constant OPSESSION_COLS => [qw(CallSid telnum Started State Reason Since Queue LastSeen)];
# the same before the operators' states (a spool an older version left)
use constant OPSESSION_COLS_V2 => [qw(CallSid telnum Started LastSeen)];

my $main_pid = $$;
my @servers;            # started by this process, stopped in END
my $db_stopped = 0;

# A test killed by the harness (timeout, ^C) still restores the database.
$SIG{TERM} = $SIG{INT} = sub { exit 1 };

END {
    if ($$ == $main_pid) {
        local $?;
        eval { httpd_stop($_) } for grep { $_->{running} } @servers;
        # Always: a test that stopped MariaDB and died must not take the
        # files after it down too.
        my $up = eval { MiniCCTest::db_wait_up() };
        $up ||= eval { MiniCCTest::mariadb_private('start') };
        print STDERR "# MiniCCSpoolTest: could not restart MariaDB!\n" unless $up;
    }
}

sub top { MiniCCTest::top_dir() }

# A fresh folder for one server, under t/logs/spool/.
sub server_dir {
    my ($name) = @_;
    my $base = top() . '/t/logs/spool';
    make_path($base);
    my $dir = File::Temp::tempdir("$name-XXXXXX", DIR => $base);
    chmod 0755, $dir;
    make_path("$dir/run", "$dir/spool");
    return $dir;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# The config text.  %o: dir, port, mpm (event|prefork|worker), spool (path;
# undef: no MiniCCSpool; default dir/spool/rows), dbd ({Min => .., ...}),
# mpm_conf (text replacing the default MPM limits), extra (text appended),
# dbd_params (keys appended to DBDParams),
# spool_in (text wrapping the MiniCCSpool line: 'vhost' or 'location').
sub httpd_conf {
    my (%o) = @_;
    my $dir = $o{dir} or croak 'dir';
    my $mpm = $o{mpm} || 'event';
    my $port = $o{port} or croak 'port';
    my $dbport = $ENV{MINICC_TEST_DB_PORT} or croak 'MINICC_TEST_DB_PORT not set (run t/run-suite)';
    my $top = top();
    my %dbd = (Min => 1, Keep => 2, Max => 4, Exptime => 300, %{ $o{dbd} || {} });
    my $mpm_conf = $o{mpm_conf} // ($mpm eq 'prefork' ? <<'PREFORK' : <<'THREADED');
StartServers 3
MinSpareServers 2
MaxSpareServers 6
ServerLimit 12
MaxRequestWorkers 12
MaxConnectionsPerChild 0
PREFORK
StartServers 2
ServerLimit 4
ThreadLimit 16
ThreadsPerChild 8
MinSpareThreads 8
MaxSpareThreads 32
MaxRequestWorkers 32
MaxConnectionsPerChild 0
THREADED
    my $dbd_params = defined $o{dbd_params} ? " $o{dbd_params}" : '';
    my $spool = exists $o{spool} ? $o{spool} : "$dir/spool/rows";
    my $spool_line = defined $spool ? qq{MiniCCSpool "$spool"\n} : '';
    my $user = '';
    if ($> == 0) {      # not in the suite, which runs unprivileged
        $user = "User nobody\nGroup nogroup\n";
    }
    my $conf = <<"CONF";
# generated by t/lib/MiniCCSpoolTest.pm
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/error_log"
LogLevel info
$user
LoadModule mpm_${mpm}_module @{[MODDIR]}/mod_mpm_${mpm}.so
LoadModule authz_core_module @{[MODDIR]}/mod_authz_core.so
LoadModule dbd_module @{[MODDIR]}/mod_dbd.so
LoadModule minicc_module $top/mod_minicc/.libs/mod_minicc.so

$mpm_conf
Timeout 60
KeepAlive On

DBDriver mysql
DBDParams "host=127.0.0.1 port=$dbport dbname=minicc user=minicc pass=minicc$dbd_params"
DBDMin $dbd{Min}
DBDKeep $dbd{Keep}
DBDMax $dbd{Max}
DBDExptime $dbd{Exptime}

CONF
    if (($o{spool_in} // '') eq 'vhost') {
        $conf .= "<VirtualHost 127.0.0.1:$port>\n    ServerName vhost.example\n    $spool_line</VirtualHost>\n";
    }
    elsif (($o{spool_in} // '') eq 'location') {
        $conf .= "<Location /minicc>\n    $spool_line</Location>\n";
    }
    else {
        $conf .= $spool_line;
    }
    for my $h (qw(incoming operator wait guidance exit status voicemail)) {
        $conf .= "<Location /minicc/$h>\n    SetHandler minicc-$h\n</Location>\n";
    }
    $conf .= $o{extra} if defined $o{extra};
    return $conf;
}

sub write_conf {
    my ($srv) = @_;
    my $file = "$srv->{dir}/httpd.conf";
    open my $fh, '>', $file or croak "$file: $!";
    print $fh httpd_conf(%$srv);
    close $fh or croak "$file: $!";
    return $file;
}

sub run_httpd {
    my ($srv, @args) = @_;
    my $conf = write_conf($srv);
    my $out = '';
    my $pid = open(my $fh, '-|') // croak "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        { exec HTTPD, '-d', $srv->{dir}, '-f', $conf, @args }
        POSIX::_exit(127);
    }
    local $/;
    $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

# `apache2 -t` on a config: (exit code, output).
sub httpd_configtest {
    my (%o) = @_;
    my $srv = { dir => $o{dir} // server_dir($o{name} // 'configtest'),
                port => free_port(), %o };
    return run_httpd($srv, '-t');
}

# Starts a server (%o as for httpd_conf, plus name); returns its hash:
# dir, port, conf, spool, errlog, pid.  Undef (with a diag) if it does not
# come up within 30 s.
sub httpd_start {
    my (%o) = @_;
    my $srv = { name => 'httpd', mpm => 'event', %o };
    $srv->{dir} //= server_dir($srv->{name});
    $srv->{port} //= free_port();
    $srv->{spool} = "$srv->{dir}/spool/rows" unless exists $srv->{spool};
    $srv->{errlog} = "$srv->{dir}/error_log";
    $srv->{pidfile} = "$srv->{dir}/run/httpd.pid";
    unlink $srv->{pidfile};
    my ($rc, $out) = run_httpd($srv, '-k', 'start');
    if ($rc != 0) {
        Test::More::diag("httpd -k start exit $rc: $out\n" . tail($srv->{errlog}));
        $srv->{start_output} = $out;
        return undef;
    }
    push @servers, $srv;
    $srv->{running} = 1;
    my $up = poll(sub {
        return 0 unless -s $srv->{pidfile};
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $srv->{port},
                                      Proto => 'tcp', Timeout => 1);
        return $s ? 1 : 0;
    }, 30, 0.1);
    unless ($up) {
        Test::More::diag("httpd on port $srv->{port} did not come up:\n" . tail($srv->{errlog}));
        httpd_stop($srv);
        return undef;
    }
    $srv->{pid} = read_pid($srv);
    return $srv;
}

sub read_pid {
    my ($srv) = @_;
    open my $fh, '<', $srv->{pidfile} or return undef;
    my $pid = <$fh>;
    close $fh;
    return defined $pid && $pid =~ /(\d+)/ ? $1 : undef;
}

# Stops it (-k stop) and waits until the parent is gone; true if it went.
sub httpd_stop {
    my ($srv) = @_;
    return 1 unless $srv && $srv->{running};
    my $pid = $srv->{pid} // read_pid($srv);
    run_httpd($srv, '-k', 'stop');
    my $gone = !$pid || poll(sub { !kill 0, $pid }, 40, 0.1);
    if (!$gone) {
        kill 'KILL', $pid, children_of($pid);
        poll(sub { !kill 0, $pid }, 10, 0.1);
    }
    $srv->{running} = 0;
    return $gone;
}

sub tail {
    my ($file, $n) = @_;
    $n //= 30;
    open my $fh, '<', $file or return "(no $file)";
    my @l = <$fh>;
    close $fh;
    splice @l, 0, @l - $n if @l > $n;
    return "--- last lines of $file ---\n" . join('', @l);
}

sub read_log {
    my ($srv) = @_;
    open my $fh, '<', $srv->{errlog} or return '';
    local $/;
    my $s = <$fh> // '';
    close $fh;
    return $s;
}

sub log_count {
    my ($srv, $re) = @_;
    return scalar(() = read_log($srv) =~ /$re/g);
}

# Lines that say a child crashed (a kill -9 by the test itself excepted
# when allowed).
sub crash_lines {
    my ($srv, %o) = @_;
    my @l = grep { /segfault|Segmentation fault|exit signal|AddressSanitizer|double free|stack smashing|Aborted/i }
            split /\n/, read_log($srv);
    @l = grep { !/exit signal Killed \(9\)/ } @l if $o{allow_kill};
    return @l;
}

# Pids whose parent is $ppid.
sub children_of {
    my ($ppid) = @_;
    my @kids;
    opendir my $d, '/proc' or return;
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $st = <$fh> // '';
        close $fh;
        push @kids, $p if $st =~ /\)\s+\S+\s+(\d+)/ && $1 == $ppid;
    }
    closedir $d;
    return @kids;
}

# ---------------------------------------------------------------------------
# Requests

# A form body exactly as given: UTF-8, every byte outside unreserved
# percent-encoded (HTTP::Request::Common would turn "\n" into "\r\n").
sub form_body {
    my ($pairs) = @_;
    my @p = @$pairs;
    my @out;
    while (@p) {
        my ($k, $v) = splice @p, 0, 2;
        push @out, uri_escape_utf8($k) . '=' . uri_escape_utf8($v);
    }
    return join '&', @out;
}

my $ua;
sub http_post {
    my ($srv, $path, $pairs) = @_;
    $ua ||= LWP::UserAgent->new(timeout => 90, keep_alive => 0);
    my $req = HTTP::Request->new(POST => "http://127.0.0.1:$srv->{port}$path",
        ['Content-Type' => 'application/x-www-form-urlencoded'], form_body($pairs));
    return $ua->request($req);
}

# Sends @$reqs ({path, pairs}) from $n forked clients, each on new
# connections; returns a handle for clients_wait.  Client i takes requests
# i, i+n, ...  With start_at (an epoch), every client waits until then, so
# that they really start together.
sub clients_start {
    my ($srv, $reqs, $n, %o) = @_;
    my $dir = File::Temp::tempdir('clients-XXXXXX', DIR => $srv->{dir});
    my @pids;
    for my $c (0 .. $n - 1) {
        my $pid = fork;
        croak "fork: $!" unless defined $pid;
        if (!$pid) {
            my %res;
            eval {
                my $cua = LWP::UserAgent->new(timeout => 90, keep_alive => 0);
                if ($o{start_at}) {
                    my $w = $o{start_at} - Time::HiRes::time();
                    Time::HiRes::sleep($w) if $w > 0;
                }
                for (my $i = $c; $i < @$reqs; $i += $n) {
                    my $r = $reqs->[$i];
                    my $req = HTTP::Request->new(POST => "http://127.0.0.1:$srv->{port}$r->{path}",
                        ['Content-Type' => 'application/x-www-form-urlencoded'],
                        form_body($r->{pairs}));
                    my $t0 = Time::HiRes::time();
                    my $res = $cua->request($req);
                    my $t1 = Time::HiRes::time();
                    $res{$i} = { code => $res->code, ctype => scalar($res->header('Content-Type')) // '',
                                 body => $res->content,
                                 internal => (($res->header('Client-Warning') // '') =~ /Internal/ ? 1 : 0),
                                 t0 => $t0, t1 => $t1 };
                }
                1;
            } or $res{error} = "$@";
            Storable::nstore(\%res, "$dir/$c");
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return { dir => $dir, pids => \@pids, n => scalar @$reqs };
}

# Waits for the clients; returns an array of results in request order
# (undef for a request that has none).
sub clients_wait {
    my ($h) = @_;
    waitpid $_, 0 for @{ $h->{pids} };
    my @res = (undef) x $h->{n};
    for my $c (0 .. $#{ $h->{pids} }) {
        my $r = eval { Storable::retrieve("$h->{dir}/$c") } or next;
        Test::More::diag("client $c: $r->{error}") if $r->{error};
        $res[$_] = $r->{$_} for grep { /^\d+$/ } keys %$r;
    }
    return @res;
}

# A response is 200, text/xml; charset=utf-8 and the expected TwiML.
sub twiml_is {
    my ($r, $expect) = @_;
    return 0 unless $r && $r->{code} == 200 && !$r->{internal};
    (my $ct = lc $r->{ctype}) =~ s/\s+//g;
    return 0 unless $ct eq 'text/xml;charset=utf-8';
    return 0 unless $r->{body} =~ /\A<\?xml\s[^>]*encoding="UTF-8"/i;
    return MiniCCTest::same(MiniCCTest::twiml($r->{body}), $expect);
}

# ---------------------------------------------------------------------------
# The spool's record format (mod_minicc/core/spoolfmt.c):
#   "MINICC1 " <payload length, 8 hex> " " <CRC-32 of payload, 8 hex> "\n"
#   <payload> "\n"
# payload: table "\n" count "\n", then per value "-\n" (NULL) or
# "=" length ":" bytes "\n".  Values are character strings (sent as UTF-8).
sub spool_record {
    my ($table, @values) = @_;
    my $p = "$table\n" . scalar(@values) . "\n";
    for my $v (@values) {
        if (!defined $v) { $p .= "-\n"; next }
        my $b = Encode::encode('UTF-8', $v);
        $p .= '=' . length($b) . ":$b\n";
    }
    return sprintf("MINICC1 %08x %08x\n", length $p, Compress::Zlib::crc32($p)) . $p . "\n";
}

# The valid records in a spool file's bytes: ([table, [values]], ...);
# in list context also the number of bytes that were not valid records.
sub spool_records {
    my ($buf) = @_;
    my (@recs, $bad);
    my $at = 0;
    $bad = 0;
    while ($at < length $buf) {
        my $ok = 0;
        if (substr($buf, $at, 26) =~ /\AMINICC1 ([0-9a-f]{8}) ([0-9a-f]{8})\n\z/) {
            my ($len, $crc) = (hex $1, hex $2);
            my $p = substr($buf, $at + 26, $len);
            if (length($p) == $len && substr($buf, $at + 26 + $len, 1) eq "\n"
                && Compress::Zlib::crc32($p) == $crc) {
                my ($table, $n, $rest) = $p =~ /\A([^\n]+)\n(\d+)\n(.*)\z/s;
                my @v;
                for (1 .. ($n // 0)) {
                    if ($rest =~ s/\A-\n//) { push @v, undef }
                    elsif ($rest =~ s/\A=(\d+)://) {
                        push @v, Encode::decode('UTF-8', substr($rest, 0, $1));
                        substr($rest, 0, $1 + 1) = '';
                    }
                }
                push @recs, [$table, \@v];
                $at += 26 + $len + 1;
                $ok = 1;
            }
        }
        unless ($ok) {
            my $next = index($buf, 'MINICC1 ', $at + 1);
            $next = length $buf if $next < 0;
            $bad += $next - $at;
            $at = $next;
        }
    }
    return wantarray ? (\@recs, $bad) : \@recs;
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return undef;
    local $/;
    my $s = <$fh> // '';
    close $fh;
    return $s;
}

sub spool_write {
    my ($file, @chunks) = @_;
    open my $fh, '>:raw', $file or croak "$file: $!";
    print $fh @chunks;
    close $fh or croak "$file: $!";
    chmod 0600, $file;
}

# ---------------------------------------------------------------------------
# Database and time

sub db_stop {
    $db_stopped = 1;
    my $ok = MiniCCTest::mariadb_private('stop');
    return $ok && !eval { MiniCCTest::dbh(); 1 };
}

sub db_start {
    my $ok = MiniCCTest::mariadb_private('start') && eval { MiniCCTest::dbh(); 1 };
    $db_stopped = 0 if $ok;
    return $ok;
}

# Calls $check until it is true or $timeout seconds passed; its last value.
sub poll {
    my ($check, $timeout, $every) = @_;
    $every //= 1;
    my $until = Time::HiRes::time() + $timeout;
    while (1) {
        my $v = eval { $check->() };
        return $v if $v;
        return $v if Time::HiRes::time() >= $until;
        Time::HiRes::sleep($every);
    }
}

# A DATETIME(6) in the server's local time -> epoch seconds (fractional).
sub db_epoch {
    my ($s) = @_;
    return undef unless defined $s;
    my ($Y, $M, $D, $h, $m, $sec, $frac) =
        $s =~ /\A(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\z/ or return undef;
    return POSIX::mktime($sec, $m, $h, $D, $M - 1, $Y - 1900, 0, 0, -1) + ($frac ? "0.$frac" : 0);
}

# Rows of $table whose CallSid is in @$sids: { CallSid => {column => value} }.
sub rows_by_sid {
    my ($table, $sids) = @_;
    $table =~ /\A\w+\z/ or croak 'bad table';
    my %rows;
    my @s = @$sids;
    while (my @chunk = splice @s, 0, 200) {
        my $ph = join ',', ('?') x @chunk;
        my $r = MiniCCTest::dbh()->selectall_hashref(
            "SELECT * FROM `$table` WHERE CallSid IN ($ph)", 'CallSid', undef, @chunk);
        %rows = (%rows, %$r);
    }
    return \%rows;
}

# ---------------------------------------------------------------------------
# Webhook calls with known values, and what each must leave in the database.

my @QUEUE_RESULTS = qw(bridged bridging-in-process error hangup leave redirected
                       redirected-from-bridged queue-full system-error);
# UTF-8, a newline, XML/form metacharacters, and a value that looks like a
# spool record header (the checksum must not be fooled).
my @NAMES = ("Zo\x{eb} M\x{fc}ller", "\x{6771}\x{4eac} \x{592a}\x{90ce}",
             "Line one\nLine two", "Tom & Jerry = 100% <b>\"x\"</b>",
             "MINICC1 00000010 deadbeef\nnot a record", "\x{dc}n\x{ef}c\x{f6}d\x{e9} \x{2713} \x{1f600}");
my @FROMS = ("+81 90-1234-5678 \x{6771}\x{4eac}", "+4930123456", "Caf\x{e9} \x{2615}",
             "+15551230000", "line\nbreak");

my %TABLE_OF = (exit => 'enqueue_data', guidance => 'queue_data',
                status => 'statuscallback_data', operator => 'operator_sessions',
                voicemail => 'voicemails', recording => 'voicemails', incoming => undef);

# Requests for the kinds in @$kinds (cycled) : $n in all.  Each is
# {path, pairs, kind, table, sid, expect => {column => value}} (Time and
# the other arrival columns left out of expect).  A recording (the Record's
# status callback) is of the latest voicemail (the Record's action) without
# one: the two make one row, in whichever order they arrive, and the
# recording's request carries what is expected of it.
sub call_requests {
    my ($tag, $kinds, $n) = @_;
    my @reqs;
    for my $i (0 .. $n - 1) {
        my $kind = $kinds->[$i % @$kinds];
        my $sid = MiniCCTest::sid();
        my $from = $FROMS[$i % @FROMS];
        my $name = $NAMES[$i % @NAMES];
        my (@pairs, %expect);
        my @call = (CallSid => $sid, From => $from, To => $tag,
                    ApiVersion => '2010-04-01', Direction => 'inbound',
                    CallerName => $name);
        my %call_expect = (CallSid => $sid, From => $from, To => $tag,
                           ApiVersion => '2010-04-01', Direction => 'inbound',
                           CallerName => $name, ForwardedFrom => undef);
        if ($kind eq 'exit') {
            my $qsid = MiniCCTest::sid('QU');
            my $qr = $QUEUE_RESULTS[$i % @QUEUE_RESULTS];
            @pairs = (@call, CallStatus => 'in-progress', QueueResult => $qr,
                      QueueSid => $qsid, QueueTime => 3 * $i + 1);
            %expect = (%call_expect, CallStatus => 'in-progress', QueueResult => $qr,
                       QueueSid => $qsid, QueueTime => 3 * $i + 1, Queue => 'support');
        }
        elsif ($kind eq 'guidance') {
            my ($qsid, $dsid) = (MiniCCTest::sid('QU'), MiniCCTest::sid('CA'));
            @pairs = (@call, CallStatus => 'in-progress', QueueSid => $qsid,
                      QueueTime => 2 * $i + 5, DequeingCallSid => $dsid);
            %expect = (%call_expect, CallStatus => 'in-progress', QueueSid => $qsid,
                       QueueTime => 2 * $i + 5, DequeingCallSid => $dsid, Queue => 'support');
        }
        elsif ($kind eq 'status') {
            my $rsid = MiniCCTest::sid('RE');
            my $url = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Recordings/$rsid";
            @pairs = (@call, CallStatus => 'completed', CallDuration => 60 + $i,
                      RecordingUrl => $url, RecordingSid => $rsid, RecordingDuration => 50 + $i);
            %expect = (%call_expect, CallStatus => 'completed', CallDuration => 60 + $i,
                       RecordingUrl => $url, RecordingSid => $rsid, RecordingDuration => 50 + $i);
        }
        elsif ($kind eq 'operator') {
            my $op = "+1555031" . sprintf('%04d', $i);
            @pairs = (CallSid => $sid, From => $op, To => $tag, CallStatus => 'in-progress');
            # the loop's request: the operator is ready (Since: when it came)
            %expect = (CallSid => $sid, telnum => $op, State => 'ready', Reason => undef, Queue => 'support');
        }
        elsif ($kind eq 'voicemail') {
            my $url = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Recordings/RE$i";
            @pairs = (CallSid => $sid, From => $from, To => $tag, RecordingUrl => $url,
                      RecordingDuration => 10 + $i, Digits => '#');
            %expect = (CallSid => $sid, From => $from, Reason => undef, RecordingSid => undef,
                       RecordingUrl => $url, RecordingDuration => 10 + $i);
        }
        elsif ($kind eq 'recording') {
            my ($vm) = grep { $_->{kind} eq 'voicemail' && !$_->{recording} } reverse @reqs;
            my $rsid = MiniCCTest::sid('RE');
            my %of = $vm ? %{ $vm->{expect} } : (CallSid => $sid, From => undef, Reason => undef,
                                                 RecordingUrl => "https://api.twilio.com/x/$rsid",
                                                 RecordingDuration => 1);
            $sid = $of{CallSid};
            @pairs = (CallSid => $sid, RecordingSid => $rsid, RecordingUrl => $of{RecordingUrl},
                      RecordingDuration => $of{RecordingDuration}, RecordingStatus => 'completed');
            %expect = (%of, RecordingSid => $rsid);
            if ($vm) {
                $vm->{recording} = 1;
                $vm->{table} = undef;     # this request says what the row holds
            }
        }
        elsif ($kind eq 'incoming') {
            # a customer (not in operators): the welcome menu; no row
            @pairs = (CallSid => $sid, From => '+1555032' . sprintf('%04d', $i), To => $tag,
                      CallStatus => 'ringing');
        }
        else { croak "kind $kind" }
        $_ = "$_" for grep { defined } values %expect;
        push @reqs, { path => '/minicc/' . ($kind eq 'recording' ? 'voicemail' : $kind), pairs => \@pairs, kind => $kind,
                      table => $TABLE_OF{$kind}, sid => $sid, expect => \%expect };
    }
    return \@reqs;
}

# The answer to a request of call_requests (or of a kind): minicc-exit's
# depends on its QueueResult (voicemail Off: a hang-up after a leave or a
# full queue, the trouble message before it after an error).
sub expected_answer {
    my ($req) = @_;
    my $kind = ref $req ? $req->{kind} : $req;
    my $qr = ref $req ? ($req->{expect}{QueueResult} // '') : '';
    my $msg = \%MiniCCTest::DEFAULT_MSG;
    if ($kind eq 'exit' && ($qr eq 'leave' || $qr eq 'queue-full')) {
        return MiniCCTest::Response(MiniCCTest::Hangup());
    }
    if ($kind eq 'exit' && ($qr eq 'error' || $qr eq 'system-error')) {
        return MiniCCTest::Response(MiniCCTest::Say($msg->{trouble}), MiniCCTest::Hangup());
    }
    return MiniCCTest::Response() if $kind eq 'exit' || $kind eq 'status' || $kind eq 'recording';
    return MiniCCTest::Response(MiniCCTest::Say($msg->{'voicemail-thanks'}), MiniCCTest::Hangup())
        if $kind eq 'voicemail';
    return MiniCCTest::Response(MiniCCTest::Say($msg->{guidance})) if $kind eq 'guidance';
    return MiniCCTest::Response(MiniCCTest::Say($msg->{operator}),
        MiniCCTest::Dial(MiniCCTest::Queue('support', url => 'guidance', method => 'POST')),
        MiniCCTest::Redirect('operator', method => 'POST')) if $kind eq 'operator';
    return MiniCCTest::Response(
        MiniCCTest::Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
                           MiniCCTest::Say($msg->{welcome})),
        MiniCCTest::Say($msg->{noinput}),
        MiniCCTest::Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                            action => 'exit', method => 'POST')) if $kind eq 'incoming';
    croak "kind $kind";
}

my %ARRIVAL_COLS = (enqueue_data => ['Time'], queue_data => ['Time'],
                    statuscallback_data => ['Time'], operator_sessions => ['Started', 'Since', 'LastSeen'],
                    voicemails => ['Time']);

# Compares the rows of @$reqs (those with a table) with the database: one
# is_deeply per table (voicemails only when a request records there).
# Returns the rows fetched.
sub rows_match {
    my ($reqs, $label) = @_;
    my %got;
    my @vm = grep { ($_->{kind} // '') =~ /\A(?:voicemail|recording)\z/ } @$reqs;
    for my $table (qw(enqueue_data queue_data statuscallback_data operator_sessions), @vm ? 'voicemails' : ()) {
        my @r = grep { ($_->{table} // '') eq $table } @$reqs;
        my %expect = map { $_->{sid} => $_->{expect} } @r;
        my $rows = rows_by_sid($table, [keys %expect]);
        $got{$table} = $rows;
        my %cmp;
        for my $sid (keys %$rows) {
            my %row = %{ $rows->{$sid} };
            delete @row{ @{ $ARRIVAL_COLS{$table} } };
            $cmp{$sid} = \%row;
        }
        Test::More::is_deeply(\%cmp, \%expect, "$label: $table: every row (" . scalar(@r) . ") with the values sent")
            or Test::More::diag(join "\n", map {
                my $sid = $_;
                !$cmp{$sid} ? "$sid: missing"
                  : join(', ', map { "$_: got " . ($cmp{$sid}{$_} // 'NULL') . " expected " . ($expect{$sid}{$_} // 'NULL') }
                               grep { ($cmp{$sid}{$_} // "\0") ne ($expect{$sid}{$_} // "\0") } keys %{ $expect{$sid} })
            } grep { !MiniCCTest::same($cmp{$_}, $expect{$_}) } sort keys %expect);
    }
    return \%got;
}

# ---------------------------------------------------------------------------
# Issue 4's first test, under the MPM given: the database down, a mix of
# recording webhooks from concurrent clients, every answer normal; the
# database back: every row there once, with the values sent and the time it
# arrived; the spool drained; the spool's log lines.

use constant OUTAGE_TESTS => 29;
use constant OUTAGE_CALLS => 60;

sub outage_scenario {
    my ($mpm) = @_;
    my $tag = "spool-$mpm-$$-" . time;
    my $reqs = call_requests($tag, [qw(exit guidance status operator voicemail recording)], OUTAGE_CALLS);
    my $N = @$reqs;

    Test::More::ok(MiniCCTest::db_wait_up(), 'MariaDB is up to begin with');
    my $srv = httpd_start(name => "outage-$mpm", mpm => $mpm);
    Test::More::ok($srv, "httpd ($mpm MPM) with MiniCCSpool started")
        or return Test::More::diag('no server: the rest cannot run');
    my $spool = $srv->{spool};
    my @st = stat $spool;
    Test::More::ok(@st && -f _ && -s _ == 0, 'the server created the spool file, empty');
    Test::More::is(@st ? sprintf('%04o', $st[2] & 07777) : 'missing', '0600', 'the spool file is created 0600');
    Test::More::is(@st ? $st[4] : -1, ($> == 0 ? scalar getpwnam('nobody') : $>),
                   "the spool file belongs to the server's user");
    my @side = grep { -e } map { "$spool.$_" } qw(lock replay rejects);
    Test::More::is(join(' ', map { sprintf '%s=%04o', $_, (stat $_)[2] & 07777 } @side),
                   join(' ', map { "$_=0600" } @side),
                   'the files beside it (lock, replay, rejects) are 0600 too');

    # Warm the pool, so that the outage meets pooled connections.
    my $warm = call_requests("$tag-warm", [qw(exit status)], 4);
    my $warm_ok = grep { my $res = http_post($srv, $_->{path}, $_->{pairs});
                         $res->code == 200 } @$warm;
    Test::More::ok($warm_ok == 4 && poll(sub {
            2 == keys(%{ rows_by_sid('enqueue_data', [map { $_->{sid} } @$warm]) })
              && 2 == keys(%{ rows_by_sid('statuscallback_data', [map { $_->{sid} } @$warm]) }) }, 30),
        'database up: rows are written directly');

    Test::More::ok(db_stop(), 'MariaDB stopped, really down');
    my $log0 = length read_log($srv);

    my $h = clients_start($srv, $reqs, 6);
    my @res = clients_wait($h);
    my $t_sent = Time::HiRes::time();
    my @not200 = grep { !$res[$_] || $res[$_]{code} != 200 || $res[$_]{internal} } 0 .. $N - 1;
    Test::More::is(scalar @not200, 0, "database down: all $N answers are 200")
        or Test::More::diag(join "\n", map { "$reqs->[$_]{path}: " . ($res[$_] ? "$res[$_]{code} $res[$_]{body}" : 'no answer') } @not200[0 .. ($#not200 < 9 ? $#not200 : 9)]);
    my @wrong = grep { !twiml_is($res[$_], expected_answer($reqs->[$_])) } 0 .. $N - 1;
    Test::More::is(scalar @wrong, 0, 'database down: every answer is the normal TwiML (text/xml; charset=utf-8)')
        or Test::More::diag(join "\n", map { "$reqs->[$_]{path}: " . ($res[$_] ? "$res[$_]{ctype} $res[$_]{body}" : 'no answer') } @wrong[0 .. ($#wrong < 5 ? $#wrong : 5)]);

    my $buf = slurp($spool) // '';
    my ($recs, $bad) = spool_records($buf);
    Test::More::ok(length $buf > 0, 'the spool file is not empty (' . length($buf) . ' bytes)');
    my %spooled = map { ($_->[1][0] // '') => 1 } @$recs;
    my $nrecs = $N;
    Test::More::is_deeply([scalar @$recs, $bad, scalar(grep { !$spooled{$_->{sid}} } @$reqs)], [$nrecs, 0, 0],
                          "the spool holds the $N rows as whole records (records, damaged bytes, CallSids missing)");
    @st = stat $spool;
    Test::More::is(@st ? sprintf('%04o', $st[2] & 07777) : 'missing', '0600', 'the spool file is still 0600 after the appends');
    my $newlog = substr(read_log($srv), $log0);
    # a line a second at most, each counting the rows kept since the one
    # before (the rows after the last are counted by AH30510, below)
    my ($kept, $lines) = (0, 0);
    while ($newlog =~ /AH30503: [^\n]*kept in the spool[^\n]*\((\d+) more rows kept since/g) {
        $kept += 1 + $1;
        $lines++;
    }
    Test::More::ok($lines >= 1 && $kept <= $N, "the error log says rows are kept in the spool (AH30503: $lines lines for $kept of the $N rows)");

    # Nothing is written while the database is down.
    Time::HiRes::sleep(2);
    Test::More::ok(db_start(), 'MariaDB started again');
    my $t_up = Time::HiRes::time();
    # a voicemail and its recording make one row
    my %want = map { $_->{sid} => $_->{table} } grep { $_->{table} } @$reqs;
    my $nrows = keys %want;
    my $all = poll(sub {
        my $n = 0;
        for my $t (qw(enqueue_data queue_data statuscallback_data operator_sessions voicemails)) {
            $n += keys %{ rows_by_sid($t, [grep { $want{$_} eq $t } keys %want]) };
        }
        return $n == $nrows ? $n : 0;
    }, 90);
    Test::More::ok($all, sprintf 'every row is in the database within 90 s of the restart (%.0f s)', Time::HiRes::time() - $t_up);
    my $got = rows_match($reqs, 'after the replay');

    # Time is when the webhook arrived, not when it was replayed.
    my @late;
    for my $i (0 .. $N - 1) {
        my $r = $reqs->[$i];
        # a voicemail's row has the time of the later of its two requests
        next if !$r->{table} || $r->{table} eq 'voicemails';
        my $row = $got->{$r->{table}}{$r->{sid}} or next;
        for my $col (@{ $ARRIVAL_COLS{$r->{table}} }) {
            my $t = db_epoch($row->{$col});
            push @late, "$r->{table} $r->{sid} $col $row->{$col} (sent "
                . sprintf('%.3f-%.3f', $res[$i]{t0}, $res[$i]{t1}) . ')'
                unless defined $t && $res[$i] && $t >= $res[$i]{t0} - 1.5 && $t <= $res[$i]{t1} + 1.5
                       && $t < $t_up;
        }
    }
    Test::More::is(scalar @late, 0, 'every row keeps the time its webhook arrived, not the time of the replay')
        or Test::More::diag(join "\n", @late[0 .. ($#late < 5 ? $#late : 5)]);
    my $strays = 0;
    for my $t (qw(enqueue_data queue_data statuscallback_data)) {
        my ($c) = MiniCCTest::dbh()->selectrow_array("SELECT COUNT(*) FROM `$t` WHERE `To` = ?", undef, $tag);
        $strays += $c - grep { ($_->{table} // '') eq $t } @$reqs;
    }
    Test::More::is($strays, 0, 'no other rows with these values (none duplicated or invented)');

    Test::More::ok(poll(sub { -e $spool && -s _ == 0 }, 30), 'the spool file ends empty');
    # AH30510 comes a moment after the spool is emptied (fdatasync first)
    my ($log, $written);
    poll(sub {
        $log = substr(read_log($srv), $log0);
        $written = 0;
        $written += $1 while $log =~ /AH30510: [^\n]*?(\d+) rows written to the database/g;
        $written >= $nrecs;
    }, 15, 0.1);
    Test::More::is($written, $nrecs, "AH30510 lines: $nrecs rows written to the database in all")
        or Test::More::diag(join "\n", $log =~ /^.*AH3051\d.*$/mg);
    Test::More::is(scalar(() = $log =~ /AH30507/g), 0, 'no damaged record was found (AH30507)');
    Test::More::ok(-e "$spool.rejects" && -s _ == 0, 'nothing was refused (the rejects file is empty)');

    Test::More::ok(httpd_stop($srv), 'httpd stopped');
    my @crash = crash_lines($srv);
    Test::More::is(scalar @crash, 0, 'no child crashed')
        or Test::More::diag(join "\n", @crash[0 .. ($#crash < 4 ? $#crash : 4)]);
}

1;
