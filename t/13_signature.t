# Twilio request signatures (doc/contract.txt, 3.1): X-Twilio-Signature is base64 of
# HMAC-SHA1, keyed with the auth token, over the URL Twilio requested (the
# request's scheme and Host, or MiniCCPublicURL, then the path and query as
# sent) followed by every POST parameter, names sorted byte-wise, a repeated
# name's distinct values sorted, name and value concatenated.  The
# signatures are computed here, independently of the module.  Locations:
# t/conf/signature.conf.in.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use Digest::SHA qw(hmac_sha1);
use MIME::Base64 qw(encode_base64);
use MiniCCTest;

plan tests => 157;

db_wait_up();

my $TOKEN  = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';           # /sig/one, proxy, auth
my @TWO    = ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2');
my $FILE   = '3c1f0e8a9b7d4c2e6f5a0b1c2d3e4f51';           # conf/twilio-token.txt
my @FILE2  = ('7a6b5c4d3e2f10fedcba987654321001', '7a6b5c4d3e2f10fedcba987654321002');
my $OTHER  = 'ffffffffffffffffffffffffffffffff';
my @ALL_TOKENS = ($TOKEN, @TWO, $FILE, @FILE2);

# The URL this client requests: Apache::TestRequest's host and port, which
# LWP also sends as the Host header.
my $hostport = Apache::TestRequest::hostport();
my $base = "http://$hostport";

# ---------------------------------------------------------------------------
# Twilio's rule, written from its documentation.

# signature($token, $url, [name => value, ...])
sub signature {
    my ($token, $url, $pairs) = @_;
    $pairs //= [];
    my %seen;
    my @p;
    for (my $i = 0; $i < @$pairs; $i += 2) {
        my ($n, $v) = @$pairs[$i, $i + 1];
        push @p, [$n, $v] unless $seen{"$n\0$v"}++;
    }
    my $data = $url . join '', map { $_->[0] . $_->[1] }
        sort { $a->[0] cmp $b->[0] or $a->[1] cmp $b->[1] } @p;
    return encode_base64(hmac_sha1($data, $token), '');
}

# The same over the pairs exactly as given (no sorting, no de-duplication):
# for signatures a sloppy signer would make.
sub signature_unsorted {
    my ($token, $url, $pairs) = @_;
    my $data = $url;
    for (my $i = 0; $i < @$pairs; $i += 2) { $data .= $pairs->[$i] . $pairs->[$i + 1] }
    return encode_base64(hmac_sha1($data, $token), '');
}

sub enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub form {
    my ($pairs) = @_;
    my @out;
    for (my $i = 0; $i < @$pairs; $i += 2) {
        push @out, enc($pairs->[$i]) . '=' . enc($pairs->[$i + 1]);
    }
    return join '&', @out;
}

# spost($path, [pairs], header => value ...): a form POST of exactly these
# pairs (body encoded here, so what is signed is what is sent).
sub spost {
    my ($path, $pairs, @headers) = @_;
    return post_raw($path, form($pairs), undef, @headers);
}

# signed($token, $path, [pairs], url => ..., headers...): POST signed over
# $base.$path, or over url => ... when given.
sub signed {
    my ($token, $path, $pairs, %o) = @_;
    my $url = delete $o{url} // "$base$path";
    return spost($path, $pairs, 'X-Twilio-Signature' => signature($token, $url, $pairs), %o);
}

my $probe_n = 0;
sub probe { sprintf 'probe%d%06d', $$, ++$probe_n }

my $info = Response(Say(DEFAULT_MSG('information')));
my $welcome = Response(
    Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
           Say(DEFAULT_MSG('welcome'))),
    Say(DEFAULT_MSG('noinput')),
    Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST'));

my $call = [CallSid => 'CA1234567890ABCDE', Caller => '+14158675309', Digits => '1234',
            From => '+14158675309', To => '+18005551212'];

# --- 1: this file's signer against Twilio's published vector ----------------
is(signature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', $call),
   'RSOYDt4T1cUTdK1PDd93/VVr8B8=', "the test's own signer gives Twilio's published vector");

# --- /sig/one: one token ----------------------------------------------------
my $p = '/sig/one/information';
twiml_ok(signed($TOKEN, $p, $call), $info, 'signed');
is(spost($p, $call, 'x-twilio-signature' => signature($TOKEN, "$base$p", $call))->code, 200,
   'header name in lower case: 200');
is(spost($p, $call)->code, 403, 'unsigned: 403');
is(spost($p, $call, 'X-Twilio-Signature' => '')->code, 403, 'empty signature: 403');
is(spost($p, $call, 'X-Twilio-Signature' => 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')->code, 403,
   'a valid signature of something else: 403');
is(spost($p, $call, 'X-Twilio-Signature' => 'not base64 at all!')->code, 403, 'garbage signature: 403');
is(signed($OTHER, $p, $call)->code, 403, 'signed with another token: 403');
{
    my $sig = signature($TOKEN, "$base$p", $call);
    is(spost($p, $call, 'X-Twilio-Signature' => substr($sig, 0, -1))->code, 403,
       'signature cut short by one character: 403');
    is(spost($p, $call, 'X-Twilio-Signature' => $sig . 'A')->code, 403,
       'signature with a character appended: 403');
    my @t = @$call; $t[5] = '12345';                           # Digits
    is(spost($p, \@t, 'X-Twilio-Signature' => $sig)->code, 403, 'tampered parameter value: 403');
    @t = @$call; $t[6] = 'FROM';                              # name From -> FROM
    is(spost($p, \@t, 'X-Twilio-Signature' => $sig)->code, 403, 'tampered parameter name: 403');
    is(spost($p, [@$call, Extra => 'x'], 'X-Twilio-Signature' => $sig)->code, 403,
       'a parameter added: 403');
    is(spost($p, [@$call[0 .. 7]], 'X-Twilio-Signature' => $sig)->code, 403, 'a parameter removed: 403');
    is(spost($p, [@$call, Extra => ''], 'X-Twilio-Signature' => $sig)->code, 403,
       'an empty parameter added: 403');
    is(spost($p, [reverse_pairs(@$call)], 'X-Twilio-Signature' => $sig)->code, 200,
       'the same parameters in another order in the body: 200');
    is(post_raw($p, form($call), 'text/plain', 'X-Twilio-Signature' => $sig)->code, 403,
       'the body signed as a form but sent as text/plain: 403 (it carries no parameters)');
    is(post_raw($p, form($call), 'text/plain',
                'X-Twilio-Signature' => signature($TOKEN, "$base$p", []))->code, 200,
       'a text/plain body and a signature over the URL alone: 200 (no parameters)');
}
sub reverse_pairs { my @p = @_; my @r; unshift @r, splice(@p, 0, 2) while @p; @r }

# Wrong URL.
is(signed($TOKEN, $p, $call, url => "$base/sig/one/incoming")->code, 403,
   'signature for another path: 403');
is(signed($TOKEN, $p, $call, url => "$base/sig/one/information/")->code, 403,
   'signature for the path with a trailing slash: 403');
is(signed($TOKEN, $p, $call, url => "https://$hostport$p")->code, 403,
   'signature for https instead of http: 403');
is(signed($TOKEN, $p, $call, url => "http://cc.example.com$p")->code, 403,
   'signature for another host: 403');
is(signed($TOKEN, $p, $call, url => "$base$p?x=1")->code, 403,
   'signature for the URL with a query it was not sent with: 403');

# Query strings: signed exactly as requested.
{
    my $q = "$p?b=2&a=1";
    is(signed($TOKEN, $q, $call)->code, 200, 'query string, signed as requested: 200');
    is(signed($TOKEN, $q, $call, url => "$base$p?a=1&b=2")->code, 403,
       'query string, signed with its parameters reordered: 403');
    is(signed($TOKEN, $q, $call, url => "$base$p")->code, 403, 'query string, signed without it: 403');
    is(signed($TOKEN, $q, $call, url => "$base$p?b=2&a=2")->code, 403,
       'query string, signed with another value: 403');
    my $e = "$p?name=a%20b&plus=c+d";
    is(signed($TOKEN, $e, $call)->code, 200, 'percent-encoded query, signed as sent: 200');
    is(signed($TOKEN, $e, $call, url => "$base$p?name=a b&plus=c d")->code, 403,
       'percent-encoded query, signed decoded: 403');
    is(signed($TOKEN, "$p?", $call)->code, 200, 'an empty query ("?"), signed with it: 200');
}

# Parameters: decoded values, byte order of names, repeated names.
{
    my $pairs = ['Caller Name' => "Jos\xc3\xa9 & Co", From => '+15551230013', body => 'a+b=c',
                 Zeta => '', alpha => '1', 'Beta' => "\xe6\x97\xa5\xe6\x9c\xac"];
    is(signed($TOKEN, $p, $pairs)->code, 200,
       'escaped names and values, UTF-8, empty value, mixed-case names (byte order): 200');
    # the same, the spaces sent as "+"
    (my $body = form($pairs)) =~ s/%20/+/g;
    is(post_raw($p, $body, undef, 'X-Twilio-Signature' => signature($TOKEN, "$base$p", $pairs))->code,
       200, 'spaces sent as "+": 200');
    my %ci = @$pairs;
    my @ci_sorted = map { ($_ => $ci{$_}) } sort { lc $a cmp lc $b } keys %ci;
    is(spost($p, $pairs, 'X-Twilio-Signature' => signature_unsorted($TOKEN, "$base$p", \@ci_sorted))->code,
       403, 'names sorted case-insensitively by the signer: 403');

    my $rep = [Digits => '2', From => '+15551230014', Digits => '1', Digits => '3'];
    is(signed($TOKEN, $p, $rep)->code, 200, 'a repeated name, values sorted: 200');
    is(spost($p, $rep, 'X-Twilio-Signature' => signature_unsorted($TOKEN, "$base$p",
             [Digits => '2', Digits => '1', Digits => '3', From => '+15551230014']))->code,
       403, 'a repeated name, values signed in the order sent: 403');
    my $sig = signature($TOKEN, "$base$p", $rep);
    is(spost($p, [Digits => '3', Digits => '1', From => '+15551230014', Digits => '2'],
             'X-Twilio-Signature' => $sig)->code, 200, 'a repeated name, sent in another order: 200');
    is(spost($p, [Digits => '2', From => '+15551230014', Digits => '1'],
             'X-Twilio-Signature' => $sig)->code, 403, 'a repeated name, one value dropped: 403');
    is(spost($p, [@$rep, Digits => '4'], 'X-Twilio-Signature' => $sig)->code, 403,
       'a repeated name, one value added: 403');
    my $dup = [Digits => '1', Digits => '1', From => '+15551230015'];
    is(signed($TOKEN, $p, $dup)->code, 200, 'a pair sent twice, signed once (de-duplicated): 200');
    is(spost($p, $dup, 'X-Twilio-Signature' => signature_unsorted($TOKEN, "$base$p", $dup))->code, 403,
       'a pair sent twice, signed twice: 403');
    is(signed($TOKEN, $p, [])->code, 200, 'no parameters at all, signed over the URL: 200');
}

# Ports, as Twilio's validators accept them: the URL with the port left out,
# and, when the URL has none, with the scheme's default port written out.
{
    my $h = 'cc-test.example';
    is(signed($TOKEN, $p, $call, Host => $h, url => "http://$h$p")->code, 200,
       'Host without port, signed without port: 200');
    is(signed($TOKEN, $p, $call, Host => $h, url => "http://$h:80$p")->code, 200,
       'Host without port, signed with :80 written out: 200');
    is(signed($TOKEN, $p, $call, Host => $h, url => "http://$h:443$p")->code, 403,
       'Host without port, signed with :443 (not http\'s default): 403');
    is(signed($TOKEN, $p, $call, Host => $h, url => "http://$h:8080$p")->code, 403,
       'Host without port, signed with :8080: 403');
    is(signed($TOKEN, $p, $call, Host => "$h:80", url => "http://$h$p")->code, 200,
       'Host with :80, signed without port: 200');
    is(signed($TOKEN, $p, $call, Host => "$h:80", url => "http://$h:80$p")->code, 200,
       'Host with :80, signed with :80: 200');
    (my $hostonly = $hostport) =~ s/:\d+\z//;
    is(signed($TOKEN, $p, $call, url => "http://$hostonly$p")->code, 200,
       "Host $hostport, signed without the port: 200 (Twilio's validators drop any port)");
    is(signed($TOKEN, $p, $call, url => "http://$hostonly:1$p")->code, 403,
       "Host $hostport, signed with another port: 403");
    is(signed($TOKEN, "$p?a=1", $call, Host => $h, url => "http://$h:80$p?a=1")->code, 200,
       'Host without port, query, signed with :80: 200');
}

# A webhook that writes a row: an unsigned request writes nothing.
{
    my $sid = sid();
    my $pairs = [CallSid => $sid, From => '+15551230016', To => '+15551230099',
                 CallStatus => 'completed', CallDuration => '42'];
    is(spost('/sig/one/status', $pairs)->code, 403, 'status, unsigned: 403');
    is(db_count('statuscallback_data', $sid), 0, 'status, unsigned: no row written');
    twiml_ok(signed($TOKEN, '/sig/one/status', $pairs), Response(), 'status, signed');
    is(db_count('statuscallback_data', $sid), 1, 'status, signed: the row is written');
    twiml_ok(signed($TOKEN, '/sig/one/incoming', [CallSid => sid(), From => '+15551230017']),
             $welcome, 'incoming, signed');
    is(spost('/sig/one/incoming', [CallSid => sid(), From => '+15551230017'])->code, 403,
       'incoming, unsigned: 403');
}

# --- /sig/two: token rotation ----------------------------------------------
$p = '/sig/two/information';
twiml_ok(signed($TWO[0], $p, $call), $info, 'two tokens, signed with the first');
twiml_ok(signed($TWO[1], $p, $call), $info, 'two tokens, signed with the second');
is(signed($OTHER, $p, $call)->code, 403, 'two tokens, signed with a third: 403');
is(signed($TOKEN, $p, $call)->code, 403, "two tokens, signed with another Location's token: 403");
is(spost($p, $call)->code, 403, 'two tokens, unsigned: 403');

# --- MiniCCAuthTokenFile -----------------------------------------------------
$p = '/sig/file/information';
twiml_ok(signed($FILE, $p, $call), $info, 'token file, signed');
is(spost($p, $call)->code, 403, 'token file, unsigned: 403');
is(signed($OTHER, $p, $call)->code, 403, 'token file, signed with another token: 403');
is(signed('# The Twilio auth token for the /sig/file locations (t/13_signature.t).', $p, $call)->code,
   403, 'token file, signed with its comment line: 403');
$p = '/sig/file2/information';
is(signed($FILE2[0], $p, $call)->code, 200, 'token file with two tokens, the first: 200');
is(signed($FILE2[1], $p, $call)->code, 200, 'token file with two tokens, the second: 200');
is(signed($FILE, $p, $call)->code, 403, 'token file with two tokens, another token: 403');
is(spost($p, $call)->code, 403, 'token file with two tokens, unsigned: 403');

# --- MiniCCPublicURL --------------------------------------------------------
$p = '/sig/proxy/information';
twiml_ok(signed($TOKEN, $p, $call, url => "https://cc.example.com$p"), $info,
         'public URL, signed over it');
is(signed($TOKEN, $p, $call, url => "https://cc.example.com:443$p")->code, 200,
   'public URL, signed with :443 written out: 200');
is(signed($TOKEN, $p, $call)->code, 403, 'public URL, signed over the local URL: 403');
is(signed($TOKEN, $p, $call, url => "http://cc.example.com$p")->code, 403,
   'public URL, signed over http instead of https: 403');
is(signed($TOKEN, $p, $call, url => "https://cc.example.com/sig/one/information")->code, 403,
   'public URL, signed over another path: 403');
is(signed($TOKEN, "$p?x=1&y=2", $call, url => "https://cc.example.com$p?x=1&y=2")->code, 200,
   'public URL with the query: 200');
is(signed($TOKEN, "$p?x=1&y=2", $call, url => "https://cc.example.com$p")->code, 403,
   'public URL without the query it was sent with: 403');
is(signed($TOKEN, $p, $call, Host => 'cc.example.com', url => "http://cc.example.com$p")->code, 403,
   'public URL, the Host header is not what is checked: 403');
is(spost($p, $call)->code, 403, 'public URL, unsigned: 403');
$p = '/sig/proxy8443/information';
is(signed($TOKEN, $p, $call, url => "https://cc.example.com:8443$p")->code, 200,
   'public URL with :8443 (and a trailing slash in the directive): 200');
is(signed($TOKEN, $p, $call, url => "https://cc.example.com$p")->code, 200,
   "public URL with :8443, signed without the port: 200 (Twilio's validators drop any port)");
is(signed($TOKEN, $p, $call, url => "https://cc.example.com:443$p")->code, 403,
   'public URL with :8443, signed with :443: 403');
is(signed($TOKEN, $p, $call, url => "https://cc.example.com:8443/$p")->code, 403,
   'public URL with :8443, signed with a doubled slash: 403');

# --- no token: not checked --------------------------------------------------
$p = '/sig/none/information';
twiml_ok(spost($p, $call), $info, 'no token, unsigned');
is(spost($p, $call, 'X-Twilio-Signature' => 'garbage')->code, 200, 'no token, a garbage signature: 200');
is(signed($OTHER, $p, $call)->code, 200, 'no token, any signature: 200');

# --- the log line of a 403 --------------------------------------------------
sub refused_log_ok {
    my ($name, $path, $url_logged, $tokens, @headers) = @_;
    my $probe = probe();
    my $off = error_log_size();
    my $res = spost("$path?probe=$probe", $call, @headers);
    is($res->code, 403, "$name: 403");
    my @lines = grep { /\Q$probe\E|AH30406/ } error_log_since($off);
    is(scalar(@lines), 1, "$name: exactly one error_log line") or diag(@lines);
    my $line = $lines[0] // '';
    like($line, qr/AH30406/, "$name: the line is AH30406");
    like($line, qr/\Q$url_logged?probe=$probe\E/, "$name: the line names the URL checked ($url_logged?...)")
        or diag($line);
    my @leak = grep { index($line, $_) >= 0 } @$tokens;
    ok(!@leak, "$name: the line does not contain the token") or diag($line);
    return $line;
}
my $line = refused_log_ok('log, unsigned', '/sig/one/information', "$base/sig/one/information", \@ALL_TOKENS);
like($line, qr/\bno X-Twilio-Signature/i, 'log, unsigned: says the signature is missing');
$line = refused_log_ok('log, wrong signature', '/sig/one/information', "$base/sig/one/information",
                       \@ALL_TOKENS, 'X-Twilio-Signature' => signature($OTHER, "$base/x", $call));
like($line, qr/\binvalid X-Twilio-Signature/i, 'log, wrong signature: says it is invalid');
refused_log_ok('log, two tokens', '/sig/two/information', "$base/sig/two/information", \@ALL_TOKENS,
               'X-Twilio-Signature' => 'AAAA');
refused_log_ok('log, token file', '/sig/file/information', "$base/sig/file/information", \@ALL_TOKENS,
               'X-Twilio-Signature' => 'AAAA');
$line = refused_log_ok('log, public URL signed over the local URL', '/sig/proxy/information',
                       'https://cc.example.com/sig/proxy/information', \@ALL_TOKENS,
                       'X-Twilio-Signature' => signature($TOKEN, "$base/sig/proxy/information", $call));
like($line, qr/MiniCCPublicURL/, 'log, public URL: the line points at MiniCCPublicURL');
{
    my $probe = probe();
    my $off = error_log_size();
    is(signed($TOKEN, "/sig/one/information?probe=$probe", $call)->code, 200, 'log, signed: 200');
    my @lines = grep { /\Q$probe\E|AH30406/ } error_log_since($off);
    is(scalar(@lines), 0, 'log, signed: no error_log line') or diag(@lines);
}

# --- the order of the checks ------------------------------------------------
$p = '/sig/one/information';
{
    my $res = GET($p);
    is($res->code, 405, 'GET without a signature: 405 (method before signature)');
    like($res->header('Allow') // '', qr/\bPOST\b/, 'GET: Allow lists POST');
    is(GET($p, 'X-Twilio-Signature' => signature($TOKEN, "$base$p", []))->code, 405,
       'GET signed over the URL: 405');
    my $big = [From => '+15551230018', Body => 'x' x (70 * 1024)];
    is(spost($p, $big)->code, 413, 'oversized unsigned body: 413 (size before signature)');
    is(signed($TOKEN, $p, $big)->code, 413, 'oversized signed body: 413');
    my $chunk = 'a=' . ('y' x (70 * 1024));
    my ($status) = raw_http("POST $p HTTP/1.1\r\nHost: \@HOST\@\r\nConnection: close\r\n"
                            . "Content-Type: application/x-www-form-urlencoded\r\n"
                            . "Transfer-Encoding: chunked\r\n\r\n"
                            . sprintf('%x', length $chunk) . "\r\n$chunk\r\n0\r\n\r\n");
    is($status, 413, 'oversized unsigned chunked body: 413');
}

# Basic auth in front of the signature.
$p = '/sig/auth/information';
{
    my @cred = (username => 'twilio', password => 's3cret');
    my $res = signed($TOKEN, $p, $call);
    is($res->code, 401, 'auth: signed, no credentials: 401 (auth before signature)');
    like($res->header('WWW-Authenticate') // '', qr/^Basic/i, 'auth: Basic challenge');
    is(signed($TOKEN, $p, $call, username => 'twilio', password => 'wrong')->code, 401,
       'auth: signed, wrong password: 401');
    is(spost($p, $call)->code, 401, 'auth: unsigned, no credentials: 401');
    is(spost($p, $call, @cred)->code, 403, 'auth: credentials, unsigned: 403');
    is(signed($OTHER, $p, $call, @cred)->code, 403, 'auth: credentials, bad signature: 403');
    twiml_ok(signed($TOKEN, $p, $call, @cred), $info, 'auth: credentials and signature');
    is(GET($p)->code, 401, 'auth: GET without credentials: 401');
    is(GET($p, @cred)->code, 405, 'auth: GET with credentials: 405');
}
