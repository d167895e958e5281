# minicc-information: only the information message.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

plan tests => 8;

twiml_ok(post('/minicc/information', [CallSid => sid(), From => '+15551230002']),
         Response(Say(DEFAULT_MSG('information'))), 'information');

twiml_ok(post('/minicc/information', [Digits => '1', QueuePosition => '3', AvgQueueTime => '120']),
         Response(Say(DEFAULT_MSG('information'))), 'information ignores other parameters');
