# A house that grows by one line (issue 26): each handler, message and
# MiniCCURL target is one line of one table, and its name is written in
# that one C file only.  Read from the sources: handlers.c's
# minicc_handlers[], minicc_config.h's MINICC_MESSAGES and MINICC_URLS.
# Every handler of the table answers (a webhook: 405 to GET with Allow:
# POST; a page: not 404) and is counted by minicc-metrics, which sizes its
# shared memory from the same table.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use MiniCCTest;

my $src = top_dir() . '/mod_minicc';
sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; my $s = <$fh>; return $s }
my %file = map { (m{([^/]+)\z})[0] => slurp($_) } glob("$src/*.c"), glob("$src/*.h"),
                                                  glob("$src/core/*.c"), glob("$src/core/*.h");
my @core = map { (m{([^/]+)\z})[0] } glob("$src/core/*.[ch]");

my ($table) = $file{'handlers.c'} =~ /const minicc_handler_t minicc_handlers\[\] = \{(.*?)\n\};/s;
my @handlers = ($table // '') =~ /\{ "(minicc-[a-z-]+)",\s*(\w+),\s*(\w+) \}/g;
my %kind;
while (my ($name, $webhook, $page) = splice @handlers, 0, 3) {
    $kind{$name} = $webhook eq 'NULL' ? 'page' : 'webhook';
}
my ($messages) = $file{'minicc_config.h'} =~ /#define MINICC_MESSAGES\(X\) \\\n(.*?)\n\n/s;
my @keys = ($messages // '') =~ /X\(\w+, "([a-z-]+)",/g;
my ($urls) = $file{'minicc_config.h'} =~ /#define MINICC_URLS\(X\) \\\n(.*?)\n\n/s;
my @targets = ($urls // '') =~ /X\(\w+, "([a-z-]+)"\)/g;

plan tests => 3 + keys(%kind) * 3 + @keys + 3 + 1 + 1 + 1 + 1;

ok(keys %kind >= 13, 'handlers.c: the table of handlers (' . scalar(keys %kind) . ')');
ok(@keys >= 20, 'minicc_config.h: the table of messages (' . scalar(@keys) . ')');
ok(@targets >= 9, 'minicc_config.h: the table of MiniCCURL targets (' . scalar(@targets) . ')');

sub files_with { my ($lit) = @_; return sort grep { index($file{$_}, qq{"$lit"}) >= 0 } keys %file }
my $mres = GET('/minicc/metrics');
for my $h (sort keys %kind) {
    my @in = files_with($h);
    is("@in", 'handlers.c', "$h: its name written in handlers.c alone");
    (my $path = $h) =~ s/^minicc-//;
    # where t/conf has them: /minicc/NAME, but for call-backs and voicemail
    my %at = (callback => '/cb/callback', 'callback-answer' => '/cb/callback-answer', voicemail => '/vm/voicemail');
    my $res = GET($at{$path} // "/minicc/$path");
    if ($kind{$h} eq 'webhook') {
        ok($res->code == 405 && ($res->header('Allow') // '') =~ /\bPOST\b/, "$h: a webhook: GET 405, Allow: POST")
            or diag($res->code);
    } else {
        ok($res->code != 404 && $res->code < 500, "$h: a page: answers GET (" . $res->code . ')');
    }
}
my $metrics = GET('/minicc/metrics')->content;
for my $h (sort keys %kind) {
    like($metrics, qr/^minicc_requests_total\{handler="\Q$h\E",status="\d+"\} [1-9]\d*$/m,
         "$h: counted by minicc-metrics (a row of shared memory of its own)");
}
# a message key is the line of its table: written once in
# minicc_config.h, and no more in config.c (where parallel arrays kept
# keys and texts); a key may be a word used elsewhere (closed, overflow:
# also reasons a call was turned away)
for my $k (@keys) {
    my $n = () = $messages =~ /"\Q$k\E"/g;
    ok($n == 1 && index($file{'config.c'}, qq{"$k"}) < 0,
       "message $k: one line of MINICC_MESSAGES ($n), not in config.c");
}

# ---- the log numbers: doc/log-numbers.txt's blocks ------------------------------------
{
    my %blocks;     # file -> [block prefixes]
    for (split /\n/, slurp(top_dir() . '/doc/log-numbers.txt')) {
        push @{ $blocks{$2} }, $1 if /^  (3\d\d)xx\s+(\S+\.c)\s/;
    }
    my (%seen, @stray, @twice);
    for my $f (sort grep { /\.c\z/ } keys %file) {
        for my $n ($file{$f} =~ /APLOGNO\((\d{5})\)/g) {
            push @twice, "$n ($f, $seen{$n})" if $seen{$n};
            $seen{$n} = $f;
            push @stray, "$n in $f" unless grep { substr($n, 0, 3) eq $_ } @{ $blocks{$f} || [] };
        }
    }
    ok(keys(%seen) >= 40 && !@stray, 'every APLOGNO lies in a block doc/log-numbers.txt gives its file ('
       . scalar(keys %seen) . ' numbers)') or diag("stray: @stray");
    ok(!@twice, 'no log number is used twice') or diag("twice: @twice");
}

# ---- doc/DEFAULTS.txt names every message, every target, every directive ----------------
{
    my $defaults = slurp(top_dir() . '/doc/DEFAULTS.txt');
    my @settings = $file{'minicc_config.h'} =~ /X\(\w+, "(MiniCC\w+)",/g;
    my @missing = ((grep { $defaults !~ /^\Q$_\E\s/m } @keys),
                   (grep { $defaults !~ /^\s+\Q$_\E$/m } @targets),
                   (grep { $defaults !~ /^\Q$_\E\s/m } @settings, 'MiniCCSpool', 'MiniCCDBTimeout'));
    ok(@settings >= 20 && !@missing, 'doc/DEFAULTS.txt: every message, MiniCCURL target and directive ('
       . scalar(@settings) . ' of MINICC_SETTINGS)') or diag("missing: @missing");
}

# ---- the messages' Japanese column is conf/minicc-ja.conf's texts ------------------
{
    my ($block) = $file{'minicc_config.h'} =~ /#define MINICC_MESSAGES\(X\) \\\n(.*?)\n\n/s;
    my (%ja, @wrong);
    while (($block // '') =~ /X\(\w+, "([\w-]+)",((?:\s*\\?\s*"(?:[^"\\]|\\.)*")+),((?:\s*\\?\s*"(?:[^"\\]|\\.)*")+)\)/g) {
        my ($key, $ja) = ($1, $3);
        $ja{$key} = join '', $ja =~ /"((?:[^"\\]|\\.)*)"/g;
    }
    my %conf = map { /^\s*MiniCCMessage ([\w-]+) "([^"]*)"/ ? ($1 => $2) : () }
               split /\n/, slurp(top_dir() . '/conf/minicc-ja.conf');
    @wrong = grep { !defined $conf{$_} || $conf{$_} ne $ja{$_} } @keys;
    ok(@keys >= 20 && keys(%ja) == @keys && !@wrong,
       'conf/minicc-ja.conf: every message, its text the Japanese column of MINICC_MESSAGES (' . scalar(keys %ja) . ')')
        or diag("differ: @wrong; table has " . scalar(keys %ja));
}

# ---- the README is for administrators: under 20 KB ------------------------------------
{
    my $size = -s top_dir() . '/README';
    ok($size && $size < 20_000, "README: $size bytes, under 20,000 (design notes and figures belong in doc/)");
}

# ---- the core's unit tests: one file per unit ----------------------------------------
{
    # dbnative.c works on a live libmariadb handle: t/11 and t/15 test it
    my @units = grep { $_ ne 'dbnative' } map { /\A(\w+)\.c\z/ ? $1 : () } @core;
    my $unit = top_dir() . '/tests/unit';
    my @missing = grep { !-f "$unit/${_}_tests.c" || slurp("$unit/unit_tests.c") !~ /\btest_\Q$_\E\(pool\)/ } @units;
    ok(@units >= 9 && !@missing, 'tests/unit/: a file of tests for each unit of the core, run by unit_tests.c ('
       . scalar(@units) . ' units)') or diag("without: @missing");
}

# ---- the core: APR (libxml2, libcrypto, libmariadb), never httpd --------------------
{
    my @httpd = map { my $f = $_; map { "$f: $_" } $file{$f} =~ /^#\s*include\s*[<"]((?:httpd|http_\w+|ap_\w+|mod_\w+|util_\w+|mpm_\w+|scoreboard|unixd)\.h)[>"]/mg } @core;
    ok(@core >= 17 && !@httpd, 'mod_minicc/core/: ' . scalar(@core) . ' files, none includes an httpd header')
        or diag("@httpd");
}
