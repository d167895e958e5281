# doc/contract.txt, 6: every handler survives any body; methods, sizes, escapes,
# NULs, invalid UTF-8, long values, SQL and XML metacharacters.  No 5xx.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET HEAD PUT);
use MiniCCTest;

my @handlers = qw(incoming operator wait guidance exit status information);
my @ctypes = ('text/plain', 'application/json', 'multipart/form-data; boundary=xyz', undef);
# Odd forms to incoming, and the menu each must get (doc/contract.txt, 1:
# empty pairs skipped, a pair without '=' has an empty value, a repeated
# name its last value; 2: no Digits is the welcome, any other Digits retry).
my @shapes = (['CallSid' => 'welcome'], ['=' => 'welcome'], ['&&&' => 'welcome'],
              ['==x&=&x==' => 'welcome'],
              ['a=1&a=2&Digits=1&Digits=2&Digits' => 'retry'],    # the last Digits: empty
              ["Digits=1\r\n" => 'retry']);                       # "1\r\n" is not "1"

plan tests =>
    @handlers * 2 + 4 + 4 + 2            # methods
  + 3 + 3 + 2                            # sizes
  + 2 + 4 * 4 + 3                        # no body, empty body
  + @ctypes * 6                          # content types
  + 4 * 4 + 2 + 2 + 2                    # percent escapes, '+'
  + 3                                    # NUL
  + 6 + 4                                # invalid UTF-8
  + 16 + 2 + 4 + 1                       # long values
  + 4 + 1                                # SQL metacharacters
  + 4 + 2 + 4                            # XML metacharacters
  + @shapes * 4 + 4 + 4 + 2 + 6          # odd forms, control characters
  + 1;                                   # no 5xx at all

db_wait_up();

my @codes;    # every status code seen, for the final "no 5xx" test
sub track { my ($res) = @_; push @codes, [$res->code, $res->request ? $res->request->uri->path : '?']; $res }
sub P  { track(post(@_)) }
sub PR { track(post_raw(@_)) }
# A POST with no Content-Type header at all (post_raw's client,
# HTTP::Request::Common, adds application/x-www-form-urlencoded to any body).
sub post_no_ctype {
    my ($path, $body) = @_;
    my ($code, $head, $resbody) = raw_http("POST $path HTTP/1.1\r\nHost: \@HOST\@\r\nConnection: close\r\n"
                                           . 'Content-Length: ' . length($body) . "\r\n\r\n$body");
    push @codes, [$code, "$path without Content-Type"];
    return HTTP::Response->parse("$head\r\n\r\n$resbody");
}

my $enqueue = Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                      action => 'exit', method => 'POST');
sub gather_with {
    my ($msg) = @_;
    Response(Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
                    Say(DEFAULT_MSG($msg))),
             Say(DEFAULT_MSG('noinput')), $enqueue);
}
my $operator_twiml = Response(Say(DEFAULT_MSG('operator')),
                              Dial(Queue('support', url => 'guidance', method => 'POST')),
                              Redirect('operator', method => 'POST'));
sub status_row { db_row('statuscallback_data', $_[0]) }
# A form body from pairs whose values are already percent-encoded (or raw).
sub raw_form { my (@kv) = @_; join '&', map { "$kv[2*$_]=$kv[2*$_+1]" } 0 .. $#kv / 2 }

# --- methods --------------------------------------------------------------
for my $h (@handlers) {
    my $res = track(GET("/minicc/$h"));
    is($res->code, 405, "GET /minicc/$h: 405");
    like($res->header('Allow') // '', qr/\bPOST\b/, "GET /minicc/$h: Allow lists POST")
        or diag('Allow: ' . ($res->header('Allow') // 'none'));
}
for my $h (qw(incoming status)) {
    my $res = track(HEAD("/minicc/$h"));
    is($res->code, 405, "HEAD /minicc/$h: 405");
    like($res->header('Allow') // '', qr/\bPOST\b/, "HEAD /minicc/$h: Allow lists POST");
    $res = track(PUT("/minicc/$h", content => 'CallSid=' . sid() . '&Digits=1',
                     'Content-Type' => 'application/x-www-form-urlencoded'));
    is($res->code, 405, "PUT /minicc/$h: 405");
    like($res->header('Allow') // '', qr/\bPOST\b/, "PUT /minicc/$h: Allow lists POST");
}
{
    my ($code, $head) = raw_http("DELETE /minicc/exit HTTP/1.1\r\nHost: \@HOST\@\r\nConnection: close\r\n\r\n");
    push @codes, [$code, 'DELETE /minicc/exit'];
    is($code, 405, 'DELETE /minicc/exit: 405');
    like($head, qr/^Allow:[^\r\n]*\bPOST\b/mi, 'DELETE /minicc/exit: Allow lists POST');
}

# --- sizes ----------------------------------------------------------------
my $big = 'CallerName=' . ('a' x 70000);
for my $h (qw(incoming status)) {
    my $sid = sid();
    my $res = PR("/minicc/$h", "CallSid=$sid&$big");
    is($res->code, 413, "body over 64 KiB to $h: 413");
    is(db_count('statuscallback_data', $sid), 0, "body over 64 KiB to $h: no row") if $h eq 'status';
}
sub chunked {
    my ($path, $body) = @_;
    my $chunks = '';
    for (my $i = 0; $i < length $body; $i += 4000) {
        my $c = substr $body, $i, 4000;
        $chunks .= sprintf("%x\r\n", length $c) . "$c\r\n";
    }
    $chunks .= "0\r\n\r\n";
    my ($code, $head, $resbody) = raw_http(
        "POST $path HTTP/1.1\r\nHost: \@HOST\@\r\nConnection: close\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n$chunks");
    push @codes, [$code, "chunked $path"];
    return ($code, $resbody);
}
{
    my $sid = sid();
    my ($code) = chunked('/minicc/status', "CallSid=$sid&$big");
    is($code, 413, 'chunked body over 64 KiB: 413');
    $sid = sid();
    ($code) = chunked('/minicc/status', "CallSid=$sid&From=%2B15557770001&CallDuration=12");
    is($code, 200, 'small chunked body: 200');
    my $row = status_row($sid);
    is_deeply($row && [@$row{qw(From CallDuration)}], ['+15557770001', 12], 'small chunked body: row written');
}
{   # just under the limit: fine, the value is too long for its column
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&CallStatus=completed&CallerName=" . ('b' x 65000));
    is($res->code, 200, 'body of 65 000 bytes: 200');
    my $row = status_row($sid);
    ok($row && !defined $row->{CallerName} && ($row->{CallStatus} // '') eq 'completed',
       'body of 65 000 bytes: row written, long CallerName NULL') or diag(explain($row));
}

# --- no body, empty body ------------------------------------------------
{
    my ($code, $head, $body) = raw_http("POST /minicc/incoming HTTP/1.1\r\nHost: \@HOST\@\r\n"
                                        . "Connection: close\r\n\r\n");
    push @codes, [$code, 'no body'];
    is($code, 200, 'POST without a body: 200');
    is_deeply(twiml($body), gather_with('welcome'), 'POST without a body: menu');
}
twiml_ok(PR('/minicc/incoming', ''), gather_with('welcome'), 'empty body: incoming');
twiml_ok(PR('/minicc/wait', ''), Response(Pause(length => '3'), Say(DEFAULT_MSG('wait-general')),
                                           Play(DEFAULT_HOLD)), 'empty body: wait');
twiml_ok(PR('/minicc/information', ''), Response(Say(DEFAULT_MSG('information'))), 'empty body: information');
# doc/contract.txt, 2: the operators' loop answers "whatever became of the
# row (even with no valid CallSid, when nothing is recorded)".
twiml_ok(PR('/minicc/operator', ''), $operator_twiml, 'empty body: operator, nothing recorded, the loop all the same');
for my $h (qw(guidance exit status)) {
    is(PR("/minicc/$h", '')->code, 400, "empty body: $h 400 (no CallSid)");
}

# --- content types: a body that is not a form has no parameters ------------
# (doc/contract.txt, 1 and 6: incoming answers the welcome menu, Digits=1
# notwithstanding; a recording webhook has no CallSid: 400, no row)
for my $ct (@ctypes) {
    my $name = $ct // 'no Content-Type';
    my $form = 'From=%2B15551237001&Digits=1';
    my $res = defined $ct ? PR('/minicc/incoming', $form, $ct) : post_no_ctype('/minicc/incoming', $form);
    twiml_ok($res, gather_with('welcome'), "$name to incoming: no parameters, the welcome menu");
    my $sid = sid();
    my $r2 = defined $ct ? PR('/minicc/status', "CallSid=$sid&From=x", $ct)
                         : post_no_ctype('/minicc/status', "CallSid=$sid&From=x");
    is($r2->code, 400, "$name to status: no CallSid, 400") or diag($r2->as_string);
    is(db_count('statuscallback_data', $sid), 0, "$name to status: nothing recorded");
}

# --- percent escapes ----------------------------------------------------
twiml_ok(PR('/minicc/incoming', 'From=%2B15551237002&Digits=%zz'), gather_with('retry'), 'Digits=%zz');
twiml_ok(PR('/minicc/incoming', 'From=%2B15551237002&Digits=%'), gather_with('retry'), 'Digits=%');
twiml_ok(PR('/minicc/incoming', 'From=%2B15551237002&Digits=%3'), gather_with('retry'), 'Digits=%3');
twiml_ok(PR('/minicc/incoming', 'From=%2B15551237002&Digits=%31'),
         Response(Say(DEFAULT_MSG('connecting')), $enqueue), 'Digits=%31 is 1');
{
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&CallerName=ab%zzcd&From=%&To=%4&CallStatus=completed");
    is($res->code, 200, 'invalid escapes in status: 200');
    my $row = status_row($sid);
    is($row && $row->{CallStatus}, 'completed', 'invalid escapes in status: row written');
    $sid = sid();
    $res = PR('/minicc/status', "CallSid=$sid&CallerName=John+Smith%21");
    is($res->code, 200, "'+' in a value: 200");
    $row = status_row($sid);
    is($row && $row->{CallerName}, 'John Smith!', "'+' decodes to a space");
}
{
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&CallerName=%27%3B%20--");
    is($res->code, 200, 'escaped metacharacters: 200');
    my $row = status_row($sid);
    is($row && $row->{CallerName}, "'; --", 'escaped metacharacters stored decoded');
}

# --- NUL bytes: dropped ---------------------------------------------------
{
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&From=%2B1555%00123&CallerName=A%00B%00");
    is($res->code, 200, 'NUL bytes: 200');
    my $row = status_row($sid) || {};
    is($row->{From}, '+1555123', 'NUL dropped in From (not cut there)');
    is($row->{CallerName}, 'AB', 'NULs dropped in CallerName');
}

# --- invalid UTF-8: U+FFFD ------------------------------------------------
for my $case (['a%FFb' => "a\x{FFFD}b"], ['Caf%E9' => "Caf\x{FFFD}"],
              ['%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E' => "\x{5c71}\x{7530} \x{592a}\x{90ce}"]) {
    my ($sent, $want) = @$case;
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&CallerName=$sent");
    is($res->code, 200, "CallerName=$sent: 200");
    my $row = status_row($sid);
    is($row && $row->{CallerName}, $want, "CallerName=$sent stored as expected");
}
# Digits=%FF is U+FFFD once cleaned: not 1 or 2, the retry menu
twiml_ok(PR('/minicc/incoming', 'From=%FF%FE%C0%80&Digits=%FF'), gather_with('retry'), 'invalid UTF-8 to incoming');

# --- long values: NULL, row still written --------------------------------
my $yama = "\x{5c71}";
for my $case ([CallerName => 'c' x 128, 1], [CallerName => 'c' x 129, 0],
              [From => '+' . ('1' x 63), 1], [From => '+' . ('1' x 64), 0],
              [RecordingUrl => 'https://x.example/' . ('r' x 1006), 1],
              [RecordingUrl => 'https://x.example/' . ('r' x 1007), 0],
              [CallerName => $yama x 128, 1], [CallerName => $yama x 129, 0]) {
    my ($col, $val, $fits) = @$case;
    my $sid = sid();
    my $enc = $val; utf8::encode($enc);
    my $res = P('/minicc/status', [CallSid => $sid, CallStatus => 'completed', $col => $enc]);
    my $row = status_row($sid);
    my $n = length $val;
    ok($res->code == 200 && $row && ($row->{CallStatus} // '') eq 'completed',
       "$col of $n characters: row written");
    is($row && $row->{$col}, $fits ? $val : undef,
       "$col of $n characters: " . ($fits ? 'stored' : 'NULL'));
}
{
    my $sid = sid();
    my $res = P('/minicc/exit', [CallSid => $sid, QueueResult => 'x' x 33, QueueTime => 4]);
    my $row = db_row('enqueue_data', $sid);
    ok($res->code == 200 && $row && ($row->{QueueTime} // 0) == 4, 'QueueResult of 33: row written');
    is($row && $row->{QueueResult}, undef, 'QueueResult of 33: NULL');
}
twiml_ok(P('/minicc/incoming', [From => '+1' . ('5' x 60000)]), gather_with('welcome'),
         'From of 60 000 characters to incoming');
is(P('/minicc/status', [CallSid => 'CA' . ('a' x 60000)])->code, 400, 'CallSid of 60 000 characters: 400');

# --- SQL metacharacters: stored verbatim ----------------------------------
{
    my $sid = sid();
    my %v = (CallerName => q{O'Brien"; DROP TABLE operators; --},
             From => q{1' OR '1'='1}, To => q{back\slash %_ \' \0});
    my $res = P('/minicc/status', [CallSid => $sid, %v]);
    is($res->code, 200, 'SQL metacharacters: 200');
    my $row = status_row($sid) || {};
    is($row->{$_}, $v{$_}, "SQL metacharacters in $_ stored verbatim") for sort keys %v;
    ok(eval { dbh()->selectrow_array('SELECT COUNT(*) FROM operators'); 1 }, 'operators table still there');
}

# --- XML metacharacters: the answer is still valid XML --------------------
twiml_ok(P('/minicc/incoming', [From => q{<x>&"'}, Digits => '<&>']), gather_with('retry'),
         'XML metacharacters to incoming');
{
    my $sid = sid();
    my $v = q{<b>&amp;"'</b>]]>};
    my $res = P('/minicc/status', [CallSid => $sid, CallerName => $v]);
    is($res->code, 200, 'XML metacharacters to status: 200');
    my $row = status_row($sid);
    is($row && $row->{CallerName}, $v, 'XML metacharacters stored verbatim');
}
twiml_ok(P('/minicc/operator', [CallSid => sid(), From => q{<&">}]), $operator_twiml,
         'XML metacharacters to operator');

# --- odd forms, control characters --------------------------------------
for my $case (@shapes) {
    my ($body, $menu) = @$case;
    (my $shown = $body) =~ s/\r\n/\\r\\n/g;
    twiml_ok(PR('/minicc/incoming', $body), gather_with($menu), "form '$shown': the $menu menu");
}
{
    my $many = join '&', map { "p$_=$_" } 1 .. 5000;
    twiml_ok(PR('/minicc/incoming', $many), gather_with('welcome'), '5000 parameters, no Digits: the welcome menu');
    twiml_ok(PR('/minicc/incoming', ('n' x 9000) . '=1&Digits=1'), Response(Say(DEFAULT_MSG('connecting')), $enqueue),
             'a 9000-byte name, then Digits=1: connecting');
}
{
    my $sid = sid();
    my $res = PR('/minicc/status', "CallSid=$sid&CallerName=a%01b%1Fc%7Fd&From=%0D%0A");
    is($res->code, 200, 'control characters: 200');
    ok(db_count('statuscallback_data', $sid) == 1, 'control characters: row written');
}
{   # a repeated name: its last value (doc/contract.txt, 1)
    my ($first, $last) = (sid(), sid());
    twiml_ok(PR('/minicc/status', "CallSid=$first&CallSid=$last&CallStatus=x"), Response(),
             'two CallSids: recorded, <Response/>');
    is(db_count('statuscallback_data', $first), 0, 'two CallSids: no row for the first');
    my $row = status_row($last);
    is($row && $row->{CallStatus}, 'x', 'two CallSids: the row is the last one\'s');
}

my @bad = grep { $_->[0] >= 500 || $_->[0] == 0 } @codes;
ok(!@bad, 'no 5xx (and no dropped connection) in ' . scalar(@codes) . ' requests')
    or diag(join "\n", map { "$_->[0] $_->[1]" } @bad);
