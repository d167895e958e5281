package MiniCCReport;
# Helpers for the minicc-report tests (t/30_report.t): requests with a query
# string, JSON and CSV decoding, headless Chromium, the rendered DOM.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Carp qw(croak);
use File::Spec ();
use File::Temp ();
use URI ();
use JSON::PP ();
use Text::CSV ();
use XML::LibXML ();
use Test::More ();
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT = qw(
    report_url report_get report_head report_json csv_parse
    chromium_path chromium_run chromium_watch page_url dom_parse console_lines
);

# "/minicc/report" + (from => ..., to => ...) -> "/minicc/report?from=...&to=..."
sub report_url {
    my ($path, @q) = @_;
    my $u = URI->new($path);
    $u->query_form(@q) if @q;
    return $u->as_string;
}

sub report_get  { my ($path, @q) = @_; Apache::TestRequest::GET(report_url($path, @q)) }
sub report_head { my ($path, @q) = @_; Apache::TestRequest::HEAD(report_url($path, @q)) }

# GET ...&format=json; returns (response, decoded hash or undef).
sub report_json {
    my ($path, @q) = @_;
    my $res = report_get($path, @q, format => 'json');
    my $data;
    if ($res->code == 200) {
        $data = eval { JSON::PP->new->utf8->decode($res->content) };
        Test::More::diag("not JSON: $@\n" . $res->content) unless $data;
    } else {
        Test::More::diag('JSON request ' . report_url($path, @q) . ': ' . $res->as_string);
    }
    return ($res, $data);
}

# RFC 4180 text -> [ [fields...], ... ] with a real CSV parser; undef (and a
# diag) when it does not parse.  The body is UTF-8 bytes.
sub csv_parse {
    my ($bytes) = @_;
    my $text = eval { Encode::decode('UTF-8', $bytes, Encode::FB_CROAK()) };
    unless (defined $text) { Test::More::diag("CSV is not UTF-8: $@"); return undef }
    my $csv = Text::CSV->new({ binary => 1, strict => 1, auto_diag => 0 })
        or croak 'Text::CSV: ' . Text::CSV->error_diag;
    open my $fh, '<', \$text or croak "open: $!";
    my @rows;
    while (my $row = $csv->getline($fh)) {
        push @rows, $row;
    }
    unless ($csv->eof) {
        my ($code, $msg, $pos, $rec, $fld) = $csv->error_diag;
        Test::More::diag("CSV parse error $code ($msg) at record $rec, field $fld, position $pos");
        return undef;
    }
    return \@rows;
}

# ---------------------------------------------------------------------------
# Headless Chromium

sub chromium_path {
    for my $name (qw(chromium chromium-browser)) {
        for my $d (split /:/, $ENV{PATH} // '/usr/bin:/bin') {
            my $p = "$d/$name";
            return $p if -x $p && !-d $p;
        }
    }
    return undef;
}

# The test server's absolute URL for a path with query.
sub page_url {
    my ($path_query) = @_;
    my $hp = Apache::TestRequest::hostport(Apache::Test::config());
    return "http://$hp$path_query";
}

my $tmp;
# chromium_run(url, extra flags...): runs headless Chromium as the current
# (unprivileged) user with a throw-away profile and HOME.  Returns a hash:
# rc, out (stdout bytes), err (stderr text).
sub chromium_run {
    my ($url, @extra) = @_;
    return chromium_for(90, $url, @extra);
}

# chromium_watch(url, seconds): the page open in headless Chromium for that
# long in real time, then the browser is stopped (rc 124).  The remote
# debugging port keeps it running without virtual time, in which a page
# that refreshes itself would be reloaded without end.
sub chromium_watch {
    my ($url, $seconds) = @_;
    return chromium_for($seconds, $url, '--remote-debugging-port=0', '--window-size=390,844');
}

sub chromium_for {
    my ($limit, $url, @extra) = @_;
    my $bin = chromium_path() or return { rc => -1, out => '', err => 'chromium not found in PATH' };
    $tmp //= File::Temp::tempdir('minicc-chromium.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $run = File::Temp::tempdir('run.XXXXXX', DIR => $tmp, CLEANUP => 1);
    my @cmd = ('timeout', '-k', '5', $limit, $bin,
               '--headless', '--no-sandbox', '--disable-gpu',
               '--disable-background-networking', '--disable-component-update',
               '--disable-sync', '--no-first-run', '--no-default-browser-check',
               '--disable-extensions', "--user-data-dir=$run/profile",
               '--enable-logging=stderr', '--v=0',
               @extra, $url);
    local $ENV{HOME} = $run;
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$run/stdout" or die "stdout: $!";
        open STDERR, '>', "$run/stderr" or die "stderr: $!";
        exec @cmd or die "exec $bin: $!";
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    my %r = (rc => $rc);
    for my $f (qw(stdout stderr)) {
        open my $fh, '<', "$run/$f" or croak "$run/$f: $!";
        local $/;
        $r{$f eq 'stdout' ? 'out' : 'err'} = <$fh> // '';
    }
    return \%r;
}

# The lines of Chromium's stderr log that report the page's console:
# messages, uncaught exceptions, resources that failed to load.
sub console_lines {
    my ($err) = @_;
    return grep { /:CONSOLE[:(]|Uncaught|console\.(?:error|warn)/ } split /\n/, $err;
}

# Chromium's --dump-dom output (UTF-8 HTML) -> XML::LibXML document.
sub dom_parse {
    my ($html) = @_;
    return eval {
        XML::LibXML->load_html(string => $html, encoding => 'UTF-8', recover => 2,
                               suppress_errors => 1, no_network => 1);
    };
}

require Encode;

1;
