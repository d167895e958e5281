# MiniCCSpool under the event MPM (issue 4; doc/contract.txt, 4.2: "nothing is
# lost"): MariaDB stopped, a mix of recording webhooks from concurrent
# clients, every answer normal; MariaDB back: every row there exactly once,
# with the values sent and the time it arrived, the spool drained; the spool
# file is the server user's, 0600.  The test runs its own httpd (see
# t/lib/MiniCCSpoolTest.pm); MariaDB is always restarted at the end.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;

plan tests => OUTAGE_TESTS;
outage_scenario('event');
