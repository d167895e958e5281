package MiniCCTest;
# Helpers shared by the mod_minicc Apache::Test files: requests, TwiML as a
# comparable structure, the private MariaDB, Twilio-like SIDs.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Carp qw(croak);
use File::Spec ();
use FindBin ();
use DBI ();
use XML::LibXML ();
use Test::More ();
use Apache::TestRequest ();
use HTTP::Request ();

our @EXPORT = qw(
    post post_raw twiml twiml_ok xml_response_ok
    Response Say Gather Enqueue Redirect Pause Play Dial Queue Hangup
    DEFAULT_MSG DEFAULT_HOLD
    sid reseed dbh db_row db_count db_do db_wait_up add_operator callers_changed mariadb_private root_sql top_dir
    error_log_size error_log_since
    raw_http same configtest_location configtest_rejects
);

our %DEFAULT_MSG = (
    welcome => 'Thank you for calling. For an operator, press 1. For product information, press 2.',
    retry => 'Sorry, that is not a valid choice. For an operator, press 1. For product information, press 2.',
    noinput => 'We will connect you to an operator.',
    connecting => 'Connecting you to an operator. Please hold.',
    trouble => 'We are sorry, we cannot take your call right now. Please call again later.',
    operator => 'You are in the operator queue. The next caller will be connected to you.',
    wait => 'Thank you for waiting. You are number {position} in line.',
    'wait-general' => 'Thank you for waiting. An operator will be with you shortly.',
    estimate => 'The expected wait is about {minutes} minutes.',
    guidance => 'You are now connected to an operator.',
    information => 'Thank you for your interest in our products. Our latest product information is available on our web site. Goodbye.',
    closed => 'Thank you for calling. We are closed now. Please call again during our opening hours.',
    overflow => 'We are sorry, all our operators are busy.',
    voicemail => 'Please leave a message after the beep, and press the pound key when you are done.',
    'voicemail-thanks' => 'Thank you for your message. Goodbye.',
    'callback-impossible' => 'We are sorry, we cannot call back the number you are calling from. Please stay on the line.',
);
sub DEFAULT_MSG { my $k = shift; exists $DEFAULT_MSG{$k} or croak "no message $k"; $DEFAULT_MSG{$k} }
sub DEFAULT_HOLD () { 'http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3' }

sub top_dir {
    # t/lib/MiniCCTest.pm -> repository top
    my $d = $INC{'MiniCCTest.pm'};
    $d = File::Spec->rel2abs($d);
    $d =~ s{/t/lib/MiniCCTest\.pm\z}{} or croak "cannot find the repository from $d";
    return $d;
}

# ---------------------------------------------------------------------------
# Requests

# POST a form: post($url, [Name => value, ...]) (pairs in order; values are
# percent-encoded by HTTP::Request::Common as UTF-8 bytes).
sub post {
    my ($url, $pairs, @headers) = @_;
    return Apache::TestRequest::POST($url, content => $pairs, @headers);
}

# POST a raw body with a Content-Type (default form-encoded).
sub post_raw {
    my ($url, $body, $ctype, @headers) = @_;
    $ctype //= 'application/x-www-form-urlencoded';
    my @ct = defined $ctype && length $ctype ? ('Content-Type' => $ctype) : ();
    return Apache::TestRequest::POST($url, @ct, content => $body, @headers);
}

# A raw HTTP/1.1 exchange over a socket (for chunked bodies and the like).
# Returns (status, headers-text, body).
sub raw_http {
    my ($request) = @_;
    require IO::Socket::INET;
    my $cfg = Apache::Test::config();
    my $hostport = Apache::TestRequest::hostport($cfg);
    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30)
        or croak "connect $hostport: $!";
    $request =~ s/\@HOST\@/$hostport/g;
    print $sock $request;
    $sock->flush;
    local $/;
    my $resp = <$sock>;
    close $sock;
    return (0, '', '') unless defined $resp;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})};
    return ($status // 0, $head, $body // '');
}

# ---------------------------------------------------------------------------
# TwiML: documents become [name, {attributes}, children...]; children are
# the same structure for elements and plain strings for text.  Whitespace-
# only text between elements is ignored (indentation), all other text kept
# exactly.

sub _node {
    my ($n) = @_;
    my %attr = map { $_->nodeName => $_->value } $n->attributes;
    my @kids;
    my $has_elem = grep { $_->nodeType == XML::LibXML::XML_ELEMENT_NODE() } $n->childNodes;
    my $text;
    for my $c ($n->childNodes) {
        my $t = $c->nodeType;
        if ($t == XML::LibXML::XML_ELEMENT_NODE()) {
            if (defined $text) { push @kids, $text unless $has_elem && $text =~ /\A\s*\z/; undef $text }
            push @kids, _node($c);
        } elsif ($t == XML::LibXML::XML_TEXT_NODE() || $t == XML::LibXML::XML_CDATA_SECTION_NODE()) {
            $text .= $c->data;
        } elsif ($t == XML::LibXML::XML_COMMENT_NODE()) {
            next;
        } else {
            push @kids, "#node-type-$t";
        }
    }
    if (defined $text) { push @kids, $text unless $has_elem && $text =~ /\A\s*\z/ }
    return [ $n->nodeName, \%attr, @kids ];
}

# Parses a response body; returns the structure, or undef (with a diag) if
# it is not well-formed XML.
sub twiml {
    my ($res) = @_;
    my $body = ref $res ? $res->content : $res;
    my $doc = eval { XML::LibXML->new(no_network => 1, load_ext_dtd => 0)->parse_string($body) };
    unless ($doc) {
        Test::More::diag("not well-formed XML: $@\n--- body ---\n$body\n---");
        return undef;
    }
    return _node($doc->documentElement);
}

# The response is 200 TwiML: status, Content-Type, XML declaration.
# 3 tests, one check: the names of the last two end in " [part]", which
# t/run-suite counts with the status (its distinct count).  Returns the
# parsed structure.
sub xml_response_ok {
    my ($res, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::is($res->code, 200, "$name: status 200")
        or Test::More::diag($res->as_string);
    my $ct = $res->header('Content-Type') // '';
    (my $norm = lc $ct) =~ s/\s+//g;
    Test::More::is($norm, 'text/xml;charset=utf-8', "$name: Content-Type text/xml; charset=utf-8 [part]")
        or Test::More::diag("Content-Type: $ct");
    my $body = $res->content;
    my $doc = eval { XML::LibXML->new(no_network => 1, load_ext_dtd => 0)->parse_string($body) };
    my $declok = $doc && $body =~ /\A<\?xml\s/ && defined $doc->encoding
        && uc($doc->encoding) eq 'UTF-8' && $doc->version eq '1.0';
    Test::More::ok($declok, "$name: well-formed, XML declaration 1.0 with encoding UTF-8 [part]")
        or Test::More::diag("body: $body\n" . ($@ // ''));
    return $doc ? _node($doc->documentElement) : undef;
}

# xml_response_ok plus an exact structure comparison: 4 tests, 2 checks.
sub twiml_ok {
    my ($res, $expect, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $got = xml_response_ok($res, $name);
    Test::More::is_deeply($got, $expect, "$name: TwiML")
        or Test::More::diag("body: " . $res->content);
    return $got;
}

# Builders for the expected structure.
sub Response { [ 'Response', {}, @_ ] }
# Say($text [, language => ..., voice => ...]); language defaults to en-US.
sub Say {
    my ($text, %a) = @_;
    $a{language} //= 'en-US';
    delete $a{voice} unless defined $a{voice};
    return [ 'Say', \%a, $text ];
}
sub Gather   { my ($a, @k) = @_; [ 'Gather', $a, @k ] }
sub Enqueue  { my ($q, %a) = @_; [ 'Enqueue', \%a, $q ] }
sub Redirect { my ($u, %a) = @_; [ 'Redirect', \%a, $u ] }
sub Pause    { my (%a) = @_; [ 'Pause', \%a ] }
sub Play     { my ($u, %a) = @_; [ 'Play', \%a, $u ] }
sub Dial     { [ 'Dial', {}, @_ ] }
sub Queue    { my ($q, %a) = @_; [ 'Queue', \%a, $q ] }
sub Hangup   { [ 'Hangup', {} ] }

# ---------------------------------------------------------------------------
# Deep equality without a test (for "either this or that" checks).
sub same {
    my ($x, $y) = @_;
    return !defined $y if !defined $x;
    return 0 if !defined $y || ref $x ne ref $y;
    if (ref $x eq 'ARRAY') {
        return 0 unless @$x == @$y;
        same($x->[$_], $y->[$_]) || return 0 for 0 .. $#$x;
        return 1;
    }
    if (ref $x eq 'HASH') {
        return 0 unless join("\0", sort keys %$x) eq join("\0", sort keys %$y);
        same($x->{$_}, $y->{$_}) || return 0 for keys %$x;
        return 1;
    }
    return "$x" eq "$y";
}

# ---------------------------------------------------------------------------
# `apache2 -t` on a minimal configuration written into $dir: prefork,
# mod_dbd (unless no_dbd) pointing nowhere, mod_minicc, and one
# <Location /cc/incoming> with SetHandler minicc-incoming and the lines
# $inside.  Returns (exit status, what it printed).
my $configtest_n = 0;
sub configtest_location {
    my ($dir, $inside, %o) = @_;
    my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
    my $mods = '/usr/lib/apache2/modules';
    my $so = top_dir() . '/mod_minicc/.libs/mod_minicc.so';
    my $file = "$dir/httpd-" . ++$configtest_n . '.conf';
    my $params = $o{params} // 'host=127.0.0.1 port=1 dbname=minicc user=minicc pass=minicc';
    my $dbd = $o{no_dbd} ? '' : "LoadModule dbd_module $mods/mod_dbd.so\nDBDriver mysql\n"
        . qq{DBDParams "$params"\n};
    open my $fh, '>', $file or croak "$file: $!";
    print $fh <<"CONF";
ServerRoot "$dir"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
$dbd
LoadModule minicc_module "$so"
<Location /cc/incoming>
    SetHandler minicc-incoming
$inside
</Location>
CONF
    close $fh;
    my $out = qx{"$httpd" -t -d "$dir" -f "$file" 2>&1};
    return ($? >> 8, $out);
}

# Each [line, name] of @$bad inside a <Location>: configtest fails, and its
# message names the directive (2 tests each).
sub configtest_rejects {
    my ($dir, $bad) = @_;
    for my $case (@$bad) {
        my ($line, $name) = @$case;
        my ($rc, $out) = configtest_location($dir, "    $line");
        Test::More::isnt($rc, 0, "'$line': configtest fails") or Test::More::diag($out);
        Test::More::like($out, qr/\Q$name\E/, "'$line': the message names $name") or Test::More::diag($out);
    }
}

# ---------------------------------------------------------------------------
# SIDs: two capital letters and 32 hex digits.
sub sid {
    my ($prefix) = @_;
    $prefix //= 'CA';
    return $prefix . join '', map { sprintf '%x', int rand 16 } 1 .. 32;
}

# For a forked client: a seed of its own from /dev/urandom, so that no two
# clients make the same SIDs (a child inherits its parent's seed, and
# $$ ^ time is the same for pids 2n and 2n+1 a second apart).
sub reseed {
    open(my $fh, '<:raw', '/dev/urandom') or die "/dev/urandom: $!";
    read($fh, my $bytes, 4) == 4 or die "/dev/urandom: short read";
    close $fh;
    srand(unpack 'L', $bytes);
}

# ---------------------------------------------------------------------------
# Database

my $dbh;
sub dbh {
    return $dbh if $dbh && eval { $dbh->ping };
    my $port = $ENV{MINICC_TEST_DB_PORT} or croak "MINICC_TEST_DB_PORT not set";
    # The module's own user has only the README's grants; the tests also
    # truncate, lock and call procedures.
    $dbh = DBI->connect("DBI:MariaDB:database=minicc;host=127.0.0.1;port=$port",
                        'minicc_admin', 'minicc_admin',
                        { RaiseError => 1, PrintError => 0, AutoCommit => 1,
                          mariadb_server_prepare => 0 })
        or croak "connect: $DBI::errstr";
    $dbh->do(q{SET time_zone = @@global.time_zone});
    return $dbh;
}

sub db_row {
    my ($table, $sid) = @_;
    $table =~ /\A\w+\z/ or croak "bad table";
    return dbh()->selectrow_hashref("SELECT * FROM $table WHERE CallSid = ?", undef, $sid);
}

sub db_count {
    my ($table, $sid) = @_;
    $table =~ /\A\w+\z/ or croak "bad table";
    return scalar dbh()->selectrow_array("SELECT COUNT(*) FROM $table WHERE CallSid = ?", undef, $sid);
}

sub db_do { my ($sql, @bind) = @_; dbh()->do($sql, undef, @bind) }

# A change to operators or holidays reaches every child within a second
# (its copy of the tables, doc/contract.txt 2): wait that long after one.
sub callers_changed { select undef, undef, undef, 1.1 }
sub add_operator {
    my ($telnum) = @_;
    callers_changed() if db_do('INSERT IGNORE INTO operators (telnum) VALUES (?)', $telnum) > 0;
}

sub mariadb_private {
    my ($cmd) = @_;
    my $dir = $ENV{MINICC_TEST_DB_DIR} or croak "MINICC_TEST_DB_DIR not set";
    undef $dbh;
    my $rc = system(top_dir() . '/scripts/mariadb-private', $cmd, $dir);
    return $rc == 0;
}

# The Apache::Test server's error log: its size now, and the lines written
# since such a size.
sub error_log_file { Apache::Test::vars('t_logs') . '/error_log' }
sub error_log_size { -s error_log_file() // 0 }
sub error_log_since {
    my ($off) = @_;
    open my $fh, '<', error_log_file() or return ();
    seek $fh, $off, 0;
    local $/ = "\n";
    return <$fh>;
}

# SQL as MariaDB's root (over the socket): its output (-N -B), undef if
# the client failed.
sub root_sql {
    my ($sql) = @_;
    my $dir = $ENV{MINICC_TEST_DB_DIR} or croak "MINICC_TEST_DB_DIR not set";
    my $out = qx{"@{[top_dir()]}/scripts/mariadb-private" sql "$dir" -N -B -e "$sql"};
    return $? == 0 ? $out : undef;
}

# Make sure the database is up (a test file that stopped it and died must
# not take the following files with it).
sub db_wait_up {
    return 1 if eval { dbh() };
    return mariadb_private('start');
}

1;
