# MiniCCAuthToken, MiniCCAuthTokenFile and MiniCCPublicURL: a bad value
# stops `apache2 -t` with a message naming the directive, and the message
# never shows a token.  Runs the server binary on small generated
# configuration files (as t/09_configtest.t); needs no running server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;

my $so = top_dir() . '/mod_minicc/.libs/mod_minicc.so';

my $tmp = tempdir('minicc-sigconfig-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# Test tokens; none of them may ever appear in a message.
my @T = map { sprintf '%08x', $_ } 0x5ec7e701 .. 0x5ec7e709;
my ($t1, $t2, $t3) = map { $_ x 4 } @T[0 .. 2];    # 32 hex digits each
my @secret = (@T);                                  # any 8-digit piece is a leak

sub file {
    my ($name, $content) = @_;
    my $path = "$tmp/$name";
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    chmod 0600, $path;
    return $path;
}

my $missing = "$tmp/no-such-token-file";
my $empty   = file('empty.txt', '');
my $blank   = file('blank.txt', "\n  \n\t\n");
my $comment = file('comment.txt', "# only a comment\n\n");
my $three   = file('three.txt', "$t1\n$t2\n$t3\n");
my $twoline = file('two-on-a-line.txt', "$t1 $t2\n");
my $ctrl    = file('control.txt', substr($t1, 0, 16) . "\x01" . substr($t1, 17) . "\n");
mkdir "$tmp/a-directory";
my $one     = file('one.txt', "# the token\n\n$t1\n");
my $two     = file('two.txt', "$t1\r\n$t2\r\n");
my $noeol   = file('noeol.txt', $t1);
file('relative.txt', "$t2\n");

# [directive line inside <Location>, directive expected in the message, what
#  else the message must say (a regex) or undef]
my @bad = (
    ["MiniCCAuthTokenFile $missing",            'MiniCCAuthTokenFile', qr/no-such-token-file/],
    ["MiniCCAuthTokenFile $empty",              'MiniCCAuthTokenFile', qr/no token/i],
    ["MiniCCAuthTokenFile $blank",              'MiniCCAuthTokenFile', qr/no token/i],
    ["MiniCCAuthTokenFile $comment",            'MiniCCAuthTokenFile', qr/no token/i],
    ["MiniCCAuthTokenFile $three",              'MiniCCAuthTokenFile', qr/more than two|two tokens/i],
    ["MiniCCAuthTokenFile $twoline",            'MiniCCAuthTokenFile', undef],
    ["MiniCCAuthTokenFile $ctrl",               'MiniCCAuthTokenFile', undef],
    ["MiniCCAuthTokenFile $tmp/a-directory",    'MiniCCAuthTokenFile', undef],
    ["MiniCCAuthTokenFile",                     'MiniCCAuthTokenFile', undef],
    [qq{MiniCCAuthToken "$t1 $t2"},             'MiniCCAuthToken', undef],
    [qq{MiniCCAuthToken "$t1\t$t2"},            'MiniCCAuthToken', undef],
    [qq{MiniCCAuthToken " $t1"},                'MiniCCAuthToken', undef],
    [qq{MiniCCAuthToken $t1 "$t2 $t3"},         'MiniCCAuthToken', undef],
    [qq{MiniCCAuthToken ""},                    'MiniCCAuthToken', undef],
    [qq{MiniCCAuthToken $t1 $t2 $t3},           'MiniCCAuthToken', undef],
    ['MiniCCPublicURL https://cc.example.com/path',        'MiniCCPublicURL', undef],
    ['MiniCCPublicURL https://cc.example.com/minicc/',     'MiniCCPublicURL', undef],
    ['MiniCCPublicURL https://cc.example.com/?x=1',        'MiniCCPublicURL', undef],
    ['MiniCCPublicURL https://cc.example.com#top',         'MiniCCPublicURL', undef],
    ['MiniCCPublicURL ftp://cc.example.com',               'MiniCCPublicURL', undef],
    ['MiniCCPublicURL cc.example.com',                     'MiniCCPublicURL', undef],
    ['MiniCCPublicURL https://',                           'MiniCCPublicURL', undef],
    ['MiniCCPublicURL https://:8443',                      'MiniCCPublicURL', undef],
    ['MiniCCPublicURL "https://cc.example.com extra"',     'MiniCCPublicURL', undef],
);

my @good = (
    ["MiniCCAuthToken $t1",                       'one token'],
    ["MiniCCAuthToken $t1 $t2",                   'two tokens'],
    ["MiniCCAuthTokenFile $one",                  'a token file with a comment and a blank line'],
    ["MiniCCAuthTokenFile $two",                  'a token file with two tokens, CRLF line ends'],
    ["MiniCCAuthTokenFile $noeol",                'a token file without a final newline'],
    ["MiniCCAuthTokenFile relative.txt",          'a token file relative to ServerRoot'],
    ['MiniCCPublicURL https://cc.example.com',    'public URL'],
    ['MiniCCPublicURL https://cc.example.com/',   'public URL with a trailing slash'],
    ['MiniCCPublicURL https://cc.example.com:8443', 'public URL with a port'],
    ['MiniCCPublicURL http://203.0.113.7:8080',   'public URL, http and an address'],
    ["MiniCCAuthToken $t1\n    MiniCCPublicURL https://cc.example.com", 'token and public URL'],
);

plan tests => 1 + @bad * 4 + @good * 2;

ok(-e $so, "module built: $so") or diag("build the module first (make)");

sub configtest { my ($inside) = @_; return configtest_location($tmp, "    $inside") }

(my $show = sub { my $s = shift; $s =~ s/\Q$tmp\E/TMP/g; $s =~ s/\t/\\t/g; $s });
for my $case (@bad) {
    my ($line, $name, $also) = @$case;
    my $label = $show->($line);
    my ($rc, $out) = configtest($line);
    isnt($rc, 0, "'$label': configtest fails") or diag($out);
    like($out, qr/\Q$name\E/, "'$label': the message names $name") or diag($out);
    if ($also) {
        like($out, $also, "'$label': the message says why") or diag($out);
    } else {
        unlike($out, qr/Syntax OK/, "'$label': no Syntax OK") or diag($out);
    }
    my @leak = grep { index($out, $_) >= 0 } @secret;
    ok(!@leak, "'$label': the message shows no token") or diag($out);
}

for my $case (@good) {
    my ($line, $label) = @$case;
    my ($rc, $out) = configtest($line);
    is($rc, 0, "$label: configtest passes") or diag($out);
    like($out, qr/Syntax OK/, "$label: Syntax OK") or diag($out);
}
