# Callers who leave the queue, and voicemail (doc/contract.txt, 7):
# MiniCCMaxQueue and MiniCCMaxWait in the wait loop (overflow, <Leave/>),
# minicc-exit's answer by QueueResult, the closed answer with voicemail, and
# minicc-voicemail recording one row per message from the Record's action
# and status callback in either order.  Real Apache, module and MariaDB.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;

sub Record { my (%a) = @_; [ 'Record', \%a ] }
sub Leave  { [ 'Leave', {} ] }

my %MSG = (
    overflow => 'We are sorry, all our operators are busy.',
    voicemail => 'Please leave a message after the beep, and press the pound key when you are done.',
    'voicemail-thanks' => 'Thank you for your message. Goodbye.',
);
my @voicemail = (Say($MSG{voicemail}),
                 Record(action => 'voicemail', method => 'POST', maxLength => '60', finishOnKey => '#',
                        playBeep => 'true', recordingStatusCallback => 'voicemail',
                        recordingStatusCallbackMethod => 'POST'),
                 Hangup());
my $play = Play(DEFAULT_HOLD);
sub waiting { my ($n) = @_; (my $m = DEFAULT_MSG('wait')) =~ s/\{position\}/$n/; Response(Pause(length => '3'), Say($m), $play) }
my $overflow = Response(Say($MSG{overflow}), Leave());

my @bad = (
    ['MiniCCMaxQueue 0', 'MiniCCMaxQueue'], ['MiniCCMaxQueue abc', 'MiniCCMaxQueue'],
    ['MiniCCMaxWait 0', 'MiniCCMaxWait'], ['MiniCCVoicemailLength 0', 'MiniCCVoicemailLength'],
    ['MiniCCVoicemailLength 3601', 'MiniCCVoicemailLength'], ['MiniCCVoicemail maybe', 'MiniCCVoicemail'],
    ['MiniCCURL voicemail ftp://x/vm', 'MiniCCURL'],
);

# twiml_ok: 4 tests each
plan tests => @bad * 2 + 4 * 20 + 8;

my $tmp = tempdir('minicc-vm-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);

db_wait_up();
my $reason = sub { (db_row('turned_away', $_[0]) // {})->{Reason} // 'none' };
my %call = (From => '+15557770001', To => '+15559990000');

# ---- the wait loop: overflow and the longest wait ---------------------------
twiml_ok(post('/vm/wait', [CallSid => sid(), %call, QueuePosition => 5, QueueTime => 10]), waiting(5),
         'position 5 of MiniCCMaxQueue 5: waits');
my $over = sid();
twiml_ok(post('/vm/wait', [CallSid => $over, %call, QueuePosition => 6, QueueTime => 10]), $overflow,
         'position 6: the overflow message and <Leave/>');
twiml_ok(post('/vm/wait', [CallSid => sid(), %call, QueuePosition => 2, QueueTime => 299]), waiting(2),
         'QueueTime 299 of MiniCCMaxWait 300: waits');
my $long = sid();
twiml_ok(post('/vm/wait', [CallSid => $long, %call, QueuePosition => 2, QueueTime => 300]), $overflow,
         'QueueTime 300: leaves');
twiml_ok(post('/novm/wait', [CallSid => sid(), %call, QueuePosition => 1, QueueTime => 100000]), waiting(1),
         'no MiniCCMaxWait: any wait');
is($reason->($over), 'overflow', 'overflow recorded in turned_away');
is($reason->($long), 'max-wait', 'the longest wait recorded as max-wait');

# ---- minicc-exit by QueueResult -------------------------------------------------
twiml_ok(post('/vm/exit', [CallSid => sid(), %call, QueueResult => 'bridged', QueueTime => 20]), Response(),
         'bridged: the empty document');
twiml_ok(post('/vm/exit', [CallSid => sid(), %call, QueueResult => 'hangup', QueueTime => 20]), Response(),
         'hangup: the empty document');
twiml_ok(post('/vm/exit', [CallSid => $over, %call, QueueResult => 'leave', QueueTime => 20]), Response(@voicemail),
         'leave: voicemail');
my $full = sid();
twiml_ok(post('/vm/exit', [CallSid => $full, %call, QueueResult => 'queue-full', QueueTime => 0]), Response(@voicemail),
         'queue-full: voicemail');
my $err = sid();
twiml_ok(post('/vm/exit', [CallSid => $err, %call, QueueResult => 'system-error']),
         Response(Say(DEFAULT_MSG('trouble')), @voicemail), 'system-error: the trouble message, then voicemail');
twiml_ok(post('/vm/exit', [CallSid => sid(), %call, QueueResult => 'error']),
         Response(Say(DEFAULT_MSG('trouble')), @voicemail), 'error: the same');
twiml_ok(post('/novm/exit', [CallSid => sid(), %call, QueueResult => 'leave']), Response(Hangup()),
         'voicemail Off, leave: a hang-up');
twiml_ok(post('/novm/exit', [CallSid => sid(), %call, QueueResult => 'error']),
         Response(Say(DEFAULT_MSG('trouble')), Hangup()), 'voicemail Off, error: trouble, a hang-up');
is(join(' ', $reason->($full), $reason->($err)), 'none none', 'queue-full and error: no turned_away row (enqueue_data says why)');
is((db_row('enqueue_data', $over) // {})->{QueueResult} // 'none', 'leave', 'the leave is in enqueue_data as before');

# ---- closed, with voicemail -----------------------------------------------------------
my $closed = sid();
twiml_ok(post('/vm/incoming', [CallSid => $closed, %call]), Response(Say(DEFAULT_MSG('closed')), @voicemail),
         'closed with MiniCCVoicemail On: the closed message, then voicemail');
twiml_ok(post('/novm/incoming', [CallSid => sid(), %call]), Response(Say(DEFAULT_MSG('closed')), Hangup()),
         'closed with it Off: a hang-up');

# ---- minicc-voicemail: action and status callback, either order, repeated ------------------
my $url = 'https://api.twilio.com/2010-04-01/Accounts/AC' . ('0' x 32) . '/Recordings/RE' . ('1' x 32);
my @rec = (RecordingUrl => $url, RecordingDuration => 12);
my $thanks = Response(Say($MSG{'voicemail-thanks'}), Hangup());
twiml_ok(post('/vm/voicemail', [CallSid => $closed, %call, @rec, Digits => '#']), $thanks,
         'the Record action: thanks and a hang-up');
twiml_ok(post('/vm/voicemail', [CallSid => $closed, @rec, RecordingSid => 'RE' . ('1' x 32),
                                RecordingStatus => 'completed']), Response(),
         'its status callback: the empty document');
my $row = db_row('voicemails', $closed) // {};
is(join(' ', map { $_ // 'NULL' } @$row{qw(From Reason RecordingSid RecordingUrl RecordingDuration)}),
   "+15557770001 closed RE" . ('1' x 32) . " $url 12", 'one row: the number, why (closed), the recording');
twiml_ok(post('/vm/voicemail', [CallSid => $over, @rec, RecordingSid => 'RE' . ('2' x 32),
                                RecordingStatus => 'completed']), Response(),
         'status callback first');
twiml_ok(post('/vm/voicemail', [CallSid => $over, %call, @rec]), $thanks, '... then the action');
twiml_ok(post('/vm/voicemail', [CallSid => $over, %call, @rec]), $thanks, '... the action again (a retry)');
$row = db_row('voicemails', $over) // {};
is(join(' ', map { $_ // 'NULL' } @$row{qw(From Reason RecordingSid)}), "+15557770001 overflow RE" . ('2' x 32),
   'in the other order and repeated: one row, nothing lost (From from the action, the SID from the callback)');
is(db_count('voicemails', $over), 1, '... one row');
my $res = post('/vm/voicemail', [CallSid => 'not-a-sid', @rec]);
is($res->code, 400, 'a CallSid that is not a SID: 400');
