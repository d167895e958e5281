# minicc-wait: pause, position announcement (DEFAULTS.txt filtering), hold
# music; MiniCCAnnounceWait with the default estimate text.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

# QueuePosition as sent => the number said, or undef for wait-general.
my @positions = (
    ['3' => 3], ['1' => 1], ['12' => 12], ['007' => 7], ['00000012' => 12],
    [' 4 ' => 4], ['5th' => 5], ['1a2' => 12], ['+9' => 9], ['-3' => 3],
    ['999999' => 999999], ['0999999' => 999999], ["3\0" => 3],
    ['1000000' => undef], ['1234567' => undef], ['0' => undef], ['000' => undef],
    ['' => undef], ['abc' => undef], ['--' => undef], ["\x{663}" => undef],
);
# AvgQueueTime => minutes said (MiniCCAnnounceWait On), or undef for none.
my @avg = (
    ['0' => 1], ['1' => 1], ['59' => 1], ['60' => 1], ['61' => 2], ['120' => 2],
    ['121' => 3], ['3600' => 60], ['-5' => undef], ['abc' => undef], ['' => undef],
    ['1.5' => undef], ['90s' => undef],
);

plan tests => 4 * (@positions + 1 + 1 + @avg + 2 + 2) + 3;

my $play = Play(DEFAULT_HOLD);
sub said {
    my ($n) = @_;
    return defined $n ? Say(DEFAULT_MSG('wait') =~ s/\{position\}/$n/r)
                      : Say(DEFAULT_MSG('wait-general'));
}
sub estimate { Say(DEFAULT_MSG('estimate') =~ s/\{minutes\}/$_[0]/r) }

sub form {
    my (%p) = @_;
    my @pairs = (CallSid => sid(), From => '+15551230003', To => '+15559990000',
                 QueueSid => sid('QU'), CurrentQueueSize => '5', QueueTime => '30');
    for my $k (sort keys %p) {
        my $v = $p{$k};
        utf8::encode($v) if defined $v;
        push @pairs, $k => $v if defined $v;
    }
    return \@pairs;
}

for my $p (@positions) {
    my ($sent, $n) = @$p;
    (my $shown = $sent) =~ s/([^\x20-\x7e])/sprintf '\\x{%x}', ord $1/ge;
    twiml_ok(post('/minicc/wait', form(QueuePosition => $sent, AvgQueueTime => '120')),
             Response(Pause(length => '3'), said($n), $play),
             "QueuePosition '$shown'");
}

twiml_ok(post('/minicc/wait', form()),
         Response(Pause(length => '3'), said(undef), $play), 'no QueuePosition');

# MiniCCAnnounceWait is Off by default: no estimate even with AvgQueueTime.
twiml_ok(post('/minicc/wait', form(QueuePosition => '2', AvgQueueTime => '600')),
         Response(Pause(length => '3'), said(2), $play), 'AnnounceWait Off by default');

# MiniCCAnnounceWait On (default texts).
for my $a (@avg) {
    my ($sent, $m) = @$a;
    twiml_ok(post('/announce/wait', form(QueuePosition => '2', AvgQueueTime => $sent)),
             Response(Pause(length => '3'), said(2), (defined $m ? estimate($m) : ()), $play),
             "AnnounceWait On, AvgQueueTime '$sent'");
}
twiml_ok(post('/announce/wait', form(QueuePosition => '2')),
         Response(Pause(length => '3'), said(2), $play), 'AnnounceWait On, no AvgQueueTime');
twiml_ok(post('/announce/wait', form(AvgQueueTime => '61')),
         Response(Pause(length => '3'), said(undef), estimate(2), $play),
         'AnnounceWait On, no position: wait-general then estimate');

# An inner "MiniCCAnnounceWait Off" wins over the outer On.
twiml_ok(post('/announce/off/wait', form(QueuePosition => '2', AvgQueueTime => '120')),
         Response(Pause(length => '3'), said(2), $play), 'inner AnnounceWait Off wins');
twiml_ok(post('/announce/off/wait', form(QueuePosition => '0', AvgQueueTime => '61')),
         Response(Pause(length => '3'), said(undef), $play), 'inner AnnounceWait Off, general');

# A huge AvgQueueTime must not crash or overflow into nonsense XML.
xml_response_ok(post('/announce/wait', form(QueuePosition => '2',
                                            AvgQueueTime => '9' x 40)),
                'AnnounceWait On, AvgQueueTime with 40 digits');
