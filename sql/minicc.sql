-- mod_minicc schema: every table the module reads or writes.
-- Safe to run again on a live database: it only creates what is missing.
-- MySQL/MariaDB, InnoDB, utf8mb4.  Column sizes are mirrored in
-- mod_minicc/core/sql.c (a unit test holds the two together): a value too long
-- for its column is logged and stored as NULL by the module instead of
-- being cut by the server.

CREATE TABLE IF NOT EXISTS operators (
    telnum        VARCHAR(64)  NOT NULL PRIMARY KEY,   -- E.164 as Twilio sends From, or client:USER
    -- MiniCCOperatorPIN On: the PIN as a hash apr_password_validate checks
    -- (htpasswd -nbB operator 4711 | cut -d: -f2), never the digits
    PIN           VARCHAR(255) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- a database made before the PIN
ALTER TABLE operators ADD COLUMN IF NOT EXISTS
    PIN VARCHAR(255) NULL AFTER telnum;
-- and before operators in a browser (client:USER, doc/contract.txt 14)
ALTER TABLE operators MODIFY telnum VARCHAR(64) NOT NULL;

-- One row per customer leaving the queue (Enqueue action).
CREATE TABLE IF NOT EXISTS enqueue_data (
    CallSid       VARCHAR(34)  NOT NULL PRIMARY KEY,
    `From`        VARCHAR(64)  NULL,
    `To`          VARCHAR(64)  NULL,
    CallStatus    VARCHAR(32)  NULL,
    ApiVersion    VARCHAR(16)  NULL,
    Direction     VARCHAR(32)  NULL,
    ForwardedFrom VARCHAR(64)  NULL,
    CallerName    VARCHAR(128) NULL,
    QueueResult   VARCHAR(32)  NULL,
    QueueSid      VARCHAR(34)  NULL,
    QueueTime     INT          NULL,
    Queue         VARCHAR(64)  NULL,     -- the queue's name (MiniCCQueue, menu)
    `Time`        DATETIME(6)  NOT NULL,
    -- covering for the report's per-range aggregates and the call-back list
    KEY enqueue_time (`Time`, QueueResult, QueueTime),
    KEY enqueue_result_time (QueueResult, `Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- a database made before the queues' names
ALTER TABLE enqueue_data ADD COLUMN IF NOT EXISTS
    Queue VARCHAR(64) NULL AFTER QueueTime;

-- One row per caller taken by an operator (Queue url).
CREATE TABLE IF NOT EXISTS queue_data (
    CallSid         VARCHAR(34)  NOT NULL PRIMARY KEY,
    `From`          VARCHAR(64)  NULL,
    `To`            VARCHAR(64)  NULL,
    CallStatus      VARCHAR(32)  NULL,
    ApiVersion      VARCHAR(16)  NULL,
    Direction       VARCHAR(32)  NULL,
    ForwardedFrom   VARCHAR(64)  NULL,
    CallerName      VARCHAR(128) NULL,
    QueueSid        VARCHAR(34)  NULL,
    QueueTime       INT          NULL,
    DequeingCallSid VARCHAR(34)  NULL,
    Queue           VARCHAR(64)  NULL,
    `Time`          DATETIME(6)  NOT NULL,
    KEY queue_time (`Time`, QueueTime, DequeingCallSid),
    KEY queue_dequeing (DequeingCallSid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
ALTER TABLE queue_data ADD COLUMN IF NOT EXISTS
    Queue VARCHAR(64) NULL AFTER DequeingCallSid;

-- The queues each operator serves (doc/contract.txt 15), priority 1
-- first: the operators' loop takes the caller of the lowest number with
-- callers waiting.  An operator without rows serves the loop's
-- MiniCCQueue.  Changes are seen within a second, without a restart.
CREATE TABLE IF NOT EXISTS operator_queues (
    telnum    VARCHAR(64) NOT NULL,
    queue     VARCHAR(64) NOT NULL,
    priority  TINYINT     NOT NULL DEFAULT 1,
    PRIMARY KEY (telnum, queue),
    CONSTRAINT operator_queues_priority CHECK (priority BETWEEN 1 AND 9)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per call (the number's Status Callback).
CREATE TABLE IF NOT EXISTS statuscallback_data (
    CallSid           VARCHAR(34)   NOT NULL PRIMARY KEY,
    `From`            VARCHAR(64)   NULL,
    `To`              VARCHAR(64)   NULL,
    CallStatus        VARCHAR(32)   NULL,
    ApiVersion        VARCHAR(16)   NULL,
    Direction         VARCHAR(32)   NULL,
    ForwardedFrom     VARCHAR(64)   NULL,
    CallerName        VARCHAR(128)  NULL,
    CallDuration      INT           NULL,
    RecordingUrl      VARCHAR(1024) NULL,
    RecordingSid      VARCHAR(34)   NULL,
    RecordingDuration INT           NULL,
    `Time`            DATETIME(6)   NOT NULL,
    KEY status_time (`Time`, CallStatus, CallDuration)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which operator each operator call is: lets reports name the operator
-- behind queue_data.DequeingCallSid.
CREATE TABLE IF NOT EXISTS operator_sessions (
    CallSid   VARCHAR(34) NOT NULL PRIMARY KEY,
    telnum    VARCHAR(64) NULL,
    Started   DATETIME(6) NOT NULL,
    -- the call's state now (ready, talking, wrap-up, break, offline), its
    -- reason (a break's) and since when; operator_states keeps each one
    State     VARCHAR(16) NULL,
    Reason    VARCHAR(64) NULL,
    Since     DATETIME(6) NULL,
    Queue     VARCHAR(64) NULL,                -- the loop's MiniCCQueue
    LastSeen  DATETIME(6) NOT NULL,
    KEY operator_sessions_telnum (telnum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- a database made before the states
ALTER TABLE operator_sessions
    ADD COLUMN IF NOT EXISTS State VARCHAR(16) NULL AFTER Started,
    ADD COLUMN IF NOT EXISTS Reason VARCHAR(64) NULL AFTER State,
    ADD COLUMN IF NOT EXISTS Since DATETIME(6) NULL AFTER Reason,
    ADD COLUMN IF NOT EXISTS Queue VARCHAR(64) NULL AFTER Since;

-- One row per state an operator's call entered (doc/contract.txt 13):
-- written by operator_sessions' triggers (below) whenever the call's
-- State or Reason changes, Ended when the next one began (or the call's
-- end: offline).  The module writes operator_sessions only; a state that
-- reaches the database late (the spool's replay) still gets its row, in
-- its place.
CREATE TABLE IF NOT EXISTS operator_states (
    CallSid   VARCHAR(34) NOT NULL,
    Began     DATETIME(6) NOT NULL,
    telnum    VARCHAR(64) NULL,
    State     VARCHAR(16) NOT NULL,
    Reason    VARCHAR(64) NULL,
    Ended     DATETIME(6) NULL,
    PRIMARY KEY (CallSid, Began),
    KEY operator_states_began (Began),
    KEY operator_states_telnum (telnum, Began)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Days the line is closed to customers (operators are let in), whatever
-- MiniCCHours says.  A row takes effect at the next call.
CREATE TABLE IF NOT EXISTS holidays (
    `Day`     DATE         NOT NULL PRIMARY KEY,
    Name      VARCHAR(100) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per customer's call not let into the queue, or made to leave it,
-- and why: closed (outside MiniCCHours), holiday, overflow (MiniCCMaxQueue),
-- max-wait (MiniCCMaxWait), queue-full (Twilio's), error.
CREATE TABLE IF NOT EXISTS turned_away (
    CallSid   VARCHAR(34) NOT NULL PRIMARY KEY,
    `From`    VARCHAR(64) NULL,
    `To`      VARCHAR(64) NULL,
    Reason    VARCHAR(16) NULL,
    `Time`    DATETIME(6) NOT NULL,
    KEY turned_away_time (`Time`, Reason)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per message left by a caller turned away (MiniCCVoicemail On):
-- the Record action and its status callback each bring part of it.
-- Reason is turned_away's for the call.
CREATE TABLE IF NOT EXISTS voicemails (
    CallSid           VARCHAR(34)   NOT NULL PRIMARY KEY,
    `From`            VARCHAR(64)   NULL,
    Reason            VARCHAR(16)   NULL,
    RecordingSid      VARCHAR(34)   NULL,
    RecordingUrl      VARCHAR(1024) NULL,
    RecordingDuration INT           NULL,
    `Time`            DATETIME(6)   NOT NULL,
    KEY voicemails_time (`Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per conversation recorded (MiniCCRecordCalls On), from the
-- recording's status callback: CallSid is the operator's call that
-- dialled (Twilio's parent call); the caller is the pick-up of that call
-- (queue_data.DequeingCallSid) just before the recording's Time.
CREATE TABLE IF NOT EXISTS recordings (
    RecordingSid      VARCHAR(34)   NOT NULL PRIMARY KEY,
    CallSid           VARCHAR(34)   NULL,
    RecordingUrl      VARCHAR(1024) NULL,
    RecordingStatus   VARCHAR(16)   NULL,
    RecordingDuration INT           NULL,
    RecordingChannels INT           NULL,
    `Time`            DATETIME(6)   NOT NULL,
    KEY recordings_time (`Time`),
    KEY recordings_call (CallSid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One score per caller asked after their conversation (MiniCCSurvey On):
-- the first key from 1 to 5 is kept, a repeat changes nothing.  The
-- operator is the one of the caller's pick-up (queue_data).
CREATE TABLE IF NOT EXISTS surveys (
    CallSid   VARCHAR(34) NOT NULL PRIMARY KEY,
    `From`    VARCHAR(64) NULL,
    Score     INT         NULL,
    Queue     VARCHAR(64) NULL,
    `Time`    DATETIME(6) NOT NULL,
    KEY surveys_time (`Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per call-back a waiting caller asked for (MiniCCCallback On):
-- the first request is kept, a repeated one changes nothing.  Time is when
-- they asked, Joined when they joined the line (Time - QueueTime): the
-- place in line the call-back keeps.  The rest is the operators' loop's:
-- Status pending (in line), dialling (claimed by the operator call
-- Operator at Claimed), completed or failed (Closed); Attempts dialled in
-- vain; Outcome the last DialCallStatus.
CREATE TABLE IF NOT EXISTS callbacks (
    CallSid   VARCHAR(34) NOT NULL PRIMARY KEY,
    `From`    VARCHAR(64) NULL,
    `To`      VARCHAR(64) NULL,
    Queue     VARCHAR(64) NULL,
    QueueTime INT         NULL,
    `Time`    DATETIME(6) NOT NULL,
    -- not from a row: computed, and the operators' loop's (sql.c)
    Joined    DATETIME(6) AS (`Time` - INTERVAL COALESCE(QueueTime, 0) SECOND)
              STORED,
    Status    VARCHAR(16) NOT NULL DEFAULT 'pending',
    Attempts  INT         NOT NULL DEFAULT 0,
    Operator  VARCHAR(34) NULL,
    Claimed   DATETIME(6) NULL,
    Closed    DATETIME(6) NULL,
    Outcome   VARCHAR(16) NULL,
    KEY callbacks_line (Status, Queue, Joined),
    KEY callbacks_operator (Operator),
    KEY callbacks_time (`Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The live view counts the operator calls seen in the last hours.
CREATE INDEX IF NOT EXISTS operator_sessions_lastseen
    ON operator_sessions (LastSeen);

-- The callers seen waiting, for the live view (minicc-live): each child
-- writes the wait polls it answered once a second, the latest per call.
-- A caller counts as waiting until their queue exit (enqueue_data), their
-- pick-up (queue_data) or 15 minutes without a poll.
CREATE TABLE IF NOT EXISTS live_waiting (
    CallSid   VARCHAR(34) NOT NULL PRIMARY KEY,
    Queue     VARCHAR(64) NULL,
    QueueTime INT         NULL,
    `Time`    DATETIME(6) NOT NULL,
    -- not from a row: computed
    Joined    DATETIME(6) AS (`Time` - INTERVAL COALESCE(QueueTime, 0) SECOND)
              STORED,
    KEY live_waiting_time (`Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ---------------------------------------------------------------------
-- Report summaries.  minicc-report reads these instead of the tables
-- above, so that a month of a busy call center is a few thousand rows
-- rather than millions.  The triggers below keep them in step with every
-- INSERT, UPDATE and DELETE of the tables above -- the webhooks', the
-- spool's replays and an administrator's purge alike -- by adding and
-- subtracting, which concurrent writers can do in any order.  They hold
-- counts, not the thresholds' answers: MiniCCShortAbandon and
-- MiniCCServiceLevel are applied when the report is read.
--
-- CALL minicc_report_rebuild() recomputes all four from the tables above
-- (one transaction; webhooks arriving meanwhile wait for it).  This script
-- calls it itself when the summaries are empty but the data is not: that
-- is the upgrade from a schema without them.
-- ---------------------------------------------------------------------

-- Per hour (UTC, as the Time columns): enqueue_data and the
-- completed calls of statuscallback_data.  Every call of the hour would
-- update the same row, one at a time: each database connection counts in
-- its own of 16 rows (Shard = CONNECTION_ID() & 15), which the report adds
-- up; a multi-row statement locks just one.
CREATE TABLE IF NOT EXISTS report_hours (
    `Hour`       DATETIME NOT NULL,
    Shard        TINYINT  NOT NULL,
    Offered      INT      NOT NULL DEFAULT 0,  -- enqueue_data rows
    Answered     INT      NOT NULL DEFAULT 0,  -- of which bridged
    LongestWait  INT      NULL,                -- MAX(QueueTime)
    CallsTimed   INT      NOT NULL DEFAULT 0,  -- completed, with a CallDuration
    CallSeconds  BIGINT   NOT NULL DEFAULT 0,  -- their CallDuration summed
    PRIMARY KEY (`Hour`, Shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Hang-ups in the queue per hour and QueueTime (a missing one counts as
-- 0; clamped to -1..3600, the range of MiniCCShortAbandon, which keeps
-- every comparison with it true and the table small).
CREATE TABLE IF NOT EXISTS report_hangups (
    `Hour`   DATETIME NOT NULL,
    Seconds  INT      NOT NULL,
    N        INT      NOT NULL,
    PRIMARY KEY (`Hour`, Seconds)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Pick-ups (queue_data rows) per hour (UTC) and exact QueueTime; Timed = 0
-- holds the rows without a QueueTime (counted, but in no average).  Per
-- hour, not per day: a local day is whole UTC hours (23, 24 or 25 of them).
CREATE TABLE IF NOT EXISTS report_pickups (
    `Hour`   DATETIME NOT NULL,
    Timed    BOOLEAN  NOT NULL,
    Seconds  INT      NOT NULL,
    N        INT      NOT NULL,
    PRIMARY KEY (`Hour`, Timed, Seconds)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Pick-ups per hour (UTC) and operator: queue_data.DequeingCallSid named
-- by operator_sessions ('' for an operator call without a number).
CREATE TABLE IF NOT EXISTS report_operators (
    `Hour`    DATETIME    NOT NULL,
    telnum    VARCHAR(64) NOT NULL,
    Answered  INT         NOT NULL,
    PRIMARY KEY (`Hour`, telnum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Per hour (UTC) and queue (the rows' Queue; rows without one are in no
-- queue's): Kind 0 offered (enqueue_data rows) per QueueTime (0 for none;
-- clamped to 0..86400: the hour's longest wait), 1 answered (bridged), 2
-- hang-ups per QueueTime (clamped to -1..3600, as report_hangups), 3
-- pick-ups (queue_data rows) per QueueTime (-1: none), counted in Shard =
-- CONNECTION_ID() & 15 as report_hours: the per-queue figures of the
-- report (doc/contract.txt 15).
CREATE TABLE IF NOT EXISTS report_queues (
    `Hour`   DATETIME    NOT NULL,
    Queue    VARCHAR(64) NOT NULL,
    Kind     TINYINT     NOT NULL,
    Seconds  INT         NOT NULL,
    Shard    TINYINT     NOT NULL,
    N        INT         NOT NULL,
    PRIMARY KEY (`Hour`, Queue, Kind, Seconds, Shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The one-time conversions this database has had (Name: utc).
CREATE TABLE IF NOT EXISTS minicc_migrations (
    Name     VARCHAR(64)  NOT NULL PRIMARY KEY,
    Applied  DATETIME(6)  NOT NULL,
    Note     VARCHAR(255) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ---------------------------------------------------------------------
-- Times in UTC (doc/contract.txt 17).  Versions before 0.3 stored the web
-- servers' local time, which repeats an hour each autumn.  Converted once,
-- here, before the triggers below are made again: the old triggers go
-- first (they would count every converted row again, and they name the
-- summaries' Day), report_pickups and report_operators become per hour,
-- every time column is converted from the zone the web servers ran in,
-- and the summaries are emptied, to be rebuilt at the end of this script.
-- That zone is asked for, not guessed: with rows to convert, run
--     mariadb minicc -e "SET @minicc_local_zone = 'SYSTEM';
--                        SOURCE /usr/share/mod-minicc/minicc.sql"
-- SYSTEM when it is the database server's zone, else an offset such as
-- '+09:00' (or a zone name, once mariadb-tzinfo-to-sql has loaded them).
-- A time of the hour an autumn repeated is read as its second one.
-- ---------------------------------------------------------------------
DELIMITER //
CREATE OR REPLACE PROCEDURE minicc_migrate_utc()
    MODIFIES SQL DATA
BEGIN
    DECLARE z VARCHAR(64) DEFAULT COALESCE(@minicc_local_zone, 'SYSTEM');

    IF NOT EXISTS (SELECT 1 FROM minicc_migrations WHERE Name = 'utc') THEN
        IF @minicc_local_zone IS NULL
           AND (EXISTS (SELECT 1 FROM enqueue_data)
                OR EXISTS (SELECT 1 FROM queue_data)
                OR EXISTS (SELECT 1 FROM statuscallback_data)
                OR EXISTS (SELECT 1 FROM operator_sessions)
                OR EXISTS (SELECT 1 FROM turned_away)
                OR EXISTS (SELECT 1 FROM voicemails)
                OR EXISTS (SELECT 1 FROM callbacks)) THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'mod_minicc now stores times in UTC, and this database holds rows in the web servers'' local time: SET @minicc_local_zone to that zone (''SYSTEM'' if it is this server''s, or an offset such as ''+09:00'') and run minicc.sql again';
        END IF;
        IF CONVERT_TZ('2001-01-01 00:00:00', z, '+00:00') IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                '@minicc_local_zone is not a zone this server knows: use ''SYSTEM'', an offset such as ''+09:00'', or load the zone names (mariadb-tzinfo-to-sql)';
        END IF;
        DROP TRIGGER IF EXISTS enqueue_data_report_insert;
        DROP TRIGGER IF EXISTS enqueue_data_report_update;
        DROP TRIGGER IF EXISTS enqueue_data_report_delete;
        DROP TRIGGER IF EXISTS queue_data_report_insert;
        DROP TRIGGER IF EXISTS queue_data_report_update;
        DROP TRIGGER IF EXISTS queue_data_report_delete;
        DROP TRIGGER IF EXISTS operator_sessions_report_insert;
        DROP TRIGGER IF EXISTS operator_sessions_report_update;
        DROP TRIGGER IF EXISTS operator_sessions_report_delete;
        DROP TRIGGER IF EXISTS statuscallback_data_report_insert;
        DROP TRIGGER IF EXISTS statuscallback_data_report_update;
        DROP TRIGGER IF EXISTS statuscallback_data_report_delete;
        IF EXISTS (SELECT 1 FROM information_schema.COLUMNS
                   WHERE TABLE_SCHEMA = DATABASE()
                     AND TABLE_NAME = 'report_pickups'
                     AND COLUMN_NAME = 'Day') THEN
            DELETE FROM report_pickups;
            ALTER TABLE report_pickups DROP PRIMARY KEY,
                CHANGE `Day` `Hour` DATETIME NOT NULL,
                ADD PRIMARY KEY (`Hour`, Timed, Seconds);
        END IF;
        IF EXISTS (SELECT 1 FROM information_schema.COLUMNS
                   WHERE TABLE_SCHEMA = DATABASE()
                     AND TABLE_NAME = 'report_operators'
                     AND COLUMN_NAME = 'Day') THEN
            DELETE FROM report_operators;
            ALTER TABLE report_operators DROP PRIMARY KEY,
                CHANGE `Day` `Hour` DATETIME NOT NULL,
                ADD PRIMARY KEY (`Hour`, telnum);
        END IF;
        START TRANSACTION;
        UPDATE enqueue_data SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        UPDATE queue_data SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        UPDATE statuscallback_data SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        UPDATE operator_sessions SET Started = CONVERT_TZ(Started, z, '+00:00'),
                                     LastSeen = CONVERT_TZ(LastSeen, z, '+00:00');
        UPDATE turned_away SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        UPDATE voicemails SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        UPDATE callbacks SET `Time` = CONVERT_TZ(`Time`, z, '+00:00'),
                             Claimed = CONVERT_TZ(Claimed, z, '+00:00'),
                             Closed = CONVERT_TZ(Closed, z, '+00:00');
        UPDATE live_waiting SET `Time` = CONVERT_TZ(`Time`, z, '+00:00');
        DELETE FROM report_hours;
        DELETE FROM report_hangups;
        DELETE FROM report_pickups;
        DELETE FROM report_operators;
        INSERT INTO minicc_migrations (Name, Applied, Note)
        VALUES ('utc', UTC_TIMESTAMP(6), CONCAT('times converted from ', z));
        COMMIT;
    END IF;
END//
DELIMITER ;
CALL minicc_migrate_utc();

DELIMITER //

CREATE OR REPLACE FUNCTION minicc_hour(t DATETIME(6)) RETURNS DATETIME
    DETERMINISTIC NO SQL
    RETURN DATE_FORMAT(t, '%Y-%m-%d %H:00:00')//

-- One enqueue_data row counted in (sign 1) or out (sign -1).
CREATE OR REPLACE PROCEDURE minicc_count_enqueue(t DATETIME(6),
        result VARCHAR(32), qtime INT, sign INT)
    MODIFIES SQL DATA
BEGIN
    DECLARE h DATETIME DEFAULT minicc_hour(t);
    DECLARE part TINYINT DEFAULT CONNECTION_ID() & 15;  -- not "shard": a
                                                        -- variable hides a
                                                        -- column
    DECLARE longest INT;

    INSERT INTO report_hours (`Hour`, Shard, Offered, Answered, LongestWait)
    VALUES (h, part, sign, sign * COALESCE(result IN ('bridged',
            'bridging-in-process', 'redirected-from-bridged'), 0),
            IF(sign > 0, qtime, NULL))
    ON DUPLICATE KEY UPDATE
        Offered = Offered + VALUES(Offered),
        Answered = Answered + VALUES(Answered),
        LongestWait = IF(VALUES(LongestWait) IS NULL
                         OR LongestWait >= VALUES(LongestWait),
                         LongestWait, VALUES(LongestWait));
    -- A maximum cannot be subtracted from: when the row leaving the hour
    -- may have been its longest wait, ask the table (an hour's rows, by
    -- the enqueue_time index; the row's new state is already there; a
    -- locking read, so that a longer wait being written is not missed)
    -- and put the answer in this shard, clearing the others.
    IF sign < 0 AND qtime >= (SELECT MAX(LongestWait) FROM report_hours
                              WHERE `Hour` = h) THEN
        SELECT MAX(QueueTime) INTO longest FROM enqueue_data
        WHERE `Time` >= h AND `Time` < h + INTERVAL 1 HOUR LOCK IN SHARE MODE;
        UPDATE report_hours SET LongestWait = IF(Shard = part, longest, NULL)
        WHERE `Hour` = h;
    END IF;
    IF result = 'hangup' THEN
        INSERT INTO report_hangups (`Hour`, Seconds, N)
        VALUES (h, LEAST(GREATEST(COALESCE(qtime, 0), -1), 3600), sign)
        ON DUPLICATE KEY UPDATE N = N + VALUES(N);
    END IF;
END//

-- A queue's event counted in (sign 1) or out (-1), in report_queues.
CREATE OR REPLACE PROCEDURE minicc_count_queue(t DATETIME(6),
        q_name VARCHAR(64), q_kind TINYINT, q_seconds INT, sign INT)
    MODIFIES SQL DATA
    IF q_name IS NOT NULL THEN
        INSERT INTO report_queues (`Hour`, Queue, Kind, Seconds, Shard, N)
        VALUES (minicc_hour(t), q_name, q_kind, q_seconds,
                CONNECTION_ID() & 15, sign)
        ON DUPLICATE KEY UPDATE N = N + VALUES(N);
    END IF//

-- One enqueue_data row counted in or out of its queue's figures.
CREATE OR REPLACE PROCEDURE minicc_count_queue_exit(t DATETIME(6),
        q_name VARCHAR(64), result VARCHAR(32), qtime INT, sign INT)
    MODIFIES SQL DATA
BEGIN
    CALL minicc_count_queue(t, q_name, 0,
                            LEAST(GREATEST(COALESCE(qtime, 0), 0), 86400), sign);
    IF result IN ('bridged', 'bridging-in-process',
                  'redirected-from-bridged') THEN
        CALL minicc_count_queue(t, q_name, 1, 0, sign);
    ELSEIF result = 'hangup' THEN
        CALL minicc_count_queue(t, q_name, 2,
                                LEAST(GREATEST(COALESCE(qtime, 0), -1), 3600),
                                sign);
    END IF;
END//

-- One queue_data row counted in or out: its pick-up and its operator
-- (when operator_sessions knows the operator call yet; if not, the
-- operator_sessions trigger counts it when that row arrives).
CREATE OR REPLACE PROCEDURE minicc_count_pickup(t DATETIME(6), qtime INT,
        dequeing VARCHAR(34), sign INT)
    MODIFIES SQL DATA
BEGIN
    INSERT INTO report_pickups (`Hour`, Timed, Seconds, N)
    VALUES (minicc_hour(t), qtime IS NOT NULL, COALESCE(qtime, 0), sign)
    ON DUPLICATE KEY UPDATE N = N + VALUES(N);
    INSERT INTO report_operators (`Hour`, telnum, Answered)
    SELECT minicc_hour(t), COALESCE(telnum, ''), sign FROM operator_sessions
    WHERE CallSid = dequeing
    ON DUPLICATE KEY UPDATE Answered = Answered + VALUES(Answered);
END//

-- A pick-up makes its operator talking (doc/contract.txt 13): the
-- operator call's state, whose trigger keeps operator_states, in the
-- statement that records the pick-up (no second write for the webhook).
CREATE OR REPLACE PROCEDURE minicc_pickup_talking(dequeing VARCHAR(34),
        t DATETIME(6))
    MODIFIES SQL DATA
    UPDATE operator_sessions
    SET State = 'talking', Reason = NULL, Since = t,
        LastSeen = GREATEST(LastSeen, t)
    WHERE CallSid = dequeing//

-- An operator call counted in or out: the pick-ups already recorded for
-- it, per hour.
CREATE OR REPLACE PROCEDURE minicc_count_operator_call(sid VARCHAR(34),
        number VARCHAR(64), sign INT)
    MODIFIES SQL DATA
BEGIN
    INSERT INTO report_operators (`Hour`, telnum, Answered)
    SELECT minicc_hour(`Time`) AS h, COALESCE(number, ''), sign * COUNT(*)
    FROM queue_data WHERE DequeingCallSid = sid GROUP BY h
    ON DUPLICATE KEY UPDATE Answered = Answered + VALUES(Answered);
END//

-- One statuscallback_data row counted in or out.
CREATE OR REPLACE PROCEDURE minicc_count_call(t DATETIME(6),
        status VARCHAR(32), duration INT, sign INT)
    MODIFIES SQL DATA
BEGIN
    IF status = 'completed' AND duration IS NOT NULL THEN
        INSERT INTO report_hours (`Hour`, Shard, CallsTimed, CallSeconds)
        VALUES (minicc_hour(t), CONNECTION_ID() & 15, sign, sign * duration)
        ON DUPLICATE KEY UPDATE CallsTimed = CallsTimed + VALUES(CallsTimed),
                                CallSeconds = CallSeconds + VALUES(CallSeconds);
    END IF;
END//

CREATE OR REPLACE TRIGGER enqueue_data_report_insert AFTER INSERT
    ON enqueue_data FOR EACH ROW
BEGIN
    CALL minicc_count_enqueue(NEW.`Time`, NEW.QueueResult, NEW.QueueTime, 1);
    CALL minicc_count_queue_exit(NEW.`Time`, NEW.Queue, NEW.QueueResult,
                                 NEW.QueueTime, 1);
END//
CREATE OR REPLACE TRIGGER enqueue_data_report_update AFTER UPDATE
    ON enqueue_data FOR EACH ROW
BEGIN
    IF minicc_hour(OLD.`Time`) <> minicc_hour(NEW.`Time`)
       OR NOT OLD.QueueResult <=> NEW.QueueResult
       OR NOT OLD.QueueTime <=> NEW.QueueTime THEN
        CALL minicc_count_enqueue(OLD.`Time`, OLD.QueueResult, OLD.QueueTime, -1);
        CALL minicc_count_enqueue(NEW.`Time`, NEW.QueueResult, NEW.QueueTime, 1);
    END IF;
    IF minicc_hour(OLD.`Time`) <> minicc_hour(NEW.`Time`)
       OR NOT OLD.QueueResult <=> NEW.QueueResult
       OR NOT OLD.QueueTime <=> NEW.QueueTime
       OR NOT OLD.Queue <=> NEW.Queue THEN
        CALL minicc_count_queue_exit(OLD.`Time`, OLD.Queue, OLD.QueueResult,
                                     OLD.QueueTime, -1);
        CALL minicc_count_queue_exit(NEW.`Time`, NEW.Queue, NEW.QueueResult,
                                     NEW.QueueTime, 1);
    END IF;
END//
-- (@minicc_retention: MiniCCRetention's batch, below, which deletes the
-- summaries of those hours whole afterwards: no count to take back)
CREATE OR REPLACE TRIGGER enqueue_data_report_delete AFTER DELETE
    ON enqueue_data FOR EACH ROW
BEGIN
    IF @minicc_retention IS NULL THEN
        CALL minicc_count_enqueue(OLD.`Time`, OLD.QueueResult, OLD.QueueTime,
                                  -1);
        CALL minicc_count_queue_exit(OLD.`Time`, OLD.Queue, OLD.QueueResult,
                                     OLD.QueueTime, -1);
    END IF;
END//

CREATE OR REPLACE TRIGGER queue_data_report_insert AFTER INSERT
    ON queue_data FOR EACH ROW
BEGIN
    CALL minicc_count_pickup(NEW.`Time`, NEW.QueueTime, NEW.DequeingCallSid, 1);
    CALL minicc_count_queue(NEW.`Time`, NEW.Queue, 3,
                            COALESCE(NEW.QueueTime, -1), 1);
    CALL minicc_pickup_talking(NEW.DequeingCallSid, NEW.`Time`);
END//
CREATE OR REPLACE TRIGGER queue_data_report_update AFTER UPDATE
    ON queue_data FOR EACH ROW
BEGIN
    IF minicc_hour(OLD.`Time`) <> minicc_hour(NEW.`Time`)
       OR NOT OLD.QueueTime <=> NEW.QueueTime
       OR NOT OLD.DequeingCallSid <=> NEW.DequeingCallSid THEN
        CALL minicc_count_pickup(OLD.`Time`, OLD.QueueTime, OLD.DequeingCallSid, -1);
        CALL minicc_count_pickup(NEW.`Time`, NEW.QueueTime, NEW.DequeingCallSid, 1);
    END IF;
    IF minicc_hour(OLD.`Time`) <> minicc_hour(NEW.`Time`)
       OR NOT OLD.QueueTime <=> NEW.QueueTime
       OR NOT OLD.Queue <=> NEW.Queue THEN
        CALL minicc_count_queue(OLD.`Time`, OLD.Queue, 3,
                                COALESCE(OLD.QueueTime, -1), -1);
        CALL minicc_count_queue(NEW.`Time`, NEW.Queue, 3,
                                COALESCE(NEW.QueueTime, -1), 1);
    END IF;
END//
CREATE OR REPLACE TRIGGER queue_data_report_delete AFTER DELETE
    ON queue_data FOR EACH ROW
BEGIN
    IF @minicc_retention IS NULL THEN
        CALL minicc_count_pickup(OLD.`Time`, OLD.QueueTime,
                                 OLD.DequeingCallSid, -1);
        CALL minicc_count_queue(OLD.`Time`, OLD.Queue, 3,
                                COALESCE(OLD.QueueTime, -1), -1);
    END IF;
END//

CREATE OR REPLACE TRIGGER operator_sessions_report_insert AFTER INSERT
    ON operator_sessions FOR EACH ROW
    CALL minicc_count_operator_call(NEW.CallSid, NEW.telnum, 1)//
CREATE OR REPLACE TRIGGER operator_sessions_report_update AFTER UPDATE
    ON operator_sessions FOR EACH ROW
BEGIN
    IF NOT OLD.telnum <=> NEW.telnum OR OLD.CallSid <> NEW.CallSid THEN
        CALL minicc_count_operator_call(OLD.CallSid, OLD.telnum, -1);
        CALL minicc_count_operator_call(NEW.CallSid, NEW.telnum, 1);
    END IF;
END//
CREATE OR REPLACE TRIGGER operator_sessions_report_delete AFTER DELETE
    ON operator_sessions FOR EACH ROW
BEGIN
    IF @minicc_retention IS NULL THEN
        CALL minicc_count_operator_call(OLD.CallSid, OLD.telnum, -1);
    END IF;
END//

-- operator_states from operator_sessions: a call's first row begins its
-- first state; each later row whose State or Reason differs ends the
-- current state and begins the next; one with the same goes on with it
-- (Since kept).  A row older than the current state (the spool's replay,
-- behind rows written since) is not the current state: its state gets a
-- row of its own, in its place between the others.
CREATE OR REPLACE PROCEDURE minicc_state_begins(sid VARCHAR(34),
        t_began DATETIME(6), who VARCHAR(64), st VARCHAR(16), why VARCHAR(64))
    MODIFIES SQL DATA
BEGIN
    DECLARE prev DATETIME(6);
    DECLARE later DATETIME(6);

    SELECT MAX(Began) INTO prev FROM operator_states
    WHERE CallSid = sid AND Began < t_began;
    SELECT MIN(Began) INTO later FROM operator_states
    WHERE CallSid = sid AND Began > t_began;
    INSERT INTO operator_states (CallSid, Began, telnum, State, Reason, Ended)
    VALUES (sid, t_began, who, st, why, later)
    ON DUPLICATE KEY UPDATE CallSid = CallSid;
    UPDATE operator_states SET Ended = t_began
    WHERE CallSid = sid AND Began = prev;
END//

-- A call's first state: no other is stored for it yet.
CREATE OR REPLACE TRIGGER operator_sessions_state_insert AFTER INSERT
    ON operator_sessions FOR EACH ROW
BEGIN
    IF NEW.State IS NOT NULL AND NEW.Since IS NOT NULL THEN
        INSERT IGNORE INTO operator_states (CallSid, Began, telnum, State,
                                            Reason)
        VALUES (NEW.CallSid, NEW.Since, NEW.telnum, NEW.State, NEW.Reason);
    END IF;
END//
CREATE OR REPLACE TRIGGER operator_sessions_state_update BEFORE UPDATE
    ON operator_sessions FOR EACH ROW
BEGIN
    DECLARE who VARCHAR(64) DEFAULT COALESCE(NEW.telnum, OLD.telnum);

    IF NEW.State IS NULL OR NEW.Since IS NULL THEN
        SET NEW.State = OLD.State, NEW.Reason = OLD.Reason,
            NEW.Since = OLD.Since;
    ELSEIF OLD.Since IS NOT NULL AND NEW.Since < OLD.Since THEN
        CALL minicc_state_begins(NEW.CallSid, NEW.Since, who, NEW.State,
                                 NEW.Reason);
        SET NEW.State = OLD.State, NEW.Reason = OLD.Reason,
            NEW.Since = OLD.Since;
    ELSEIF NEW.State = OLD.State AND NEW.Reason <=> OLD.Reason THEN
        SET NEW.Since = OLD.Since;
    ELSEIF OLD.Since IS NULL THEN
        CALL minicc_state_begins(NEW.CallSid, NEW.Since, who, NEW.State,
                                 NEW.Reason);
    ELSE
        -- the next state, in order: the current one (begun at OLD.Since,
        -- the latest) ends, by its key; nothing is stored after it
        UPDATE operator_states SET Ended = NEW.Since
        WHERE CallSid = NEW.CallSid AND Began = OLD.Since;
        INSERT IGNORE INTO operator_states (CallSid, Began, telnum, State,
                                            Reason)
        VALUES (NEW.CallSid, NEW.Since, who, NEW.State, NEW.Reason);
    END IF;
    IF OLD.telnum IS NULL AND NEW.telnum IS NOT NULL THEN
        UPDATE operator_states SET telnum = NEW.telnum
        WHERE CallSid = NEW.CallSid AND telnum IS NULL;
    END IF;
END//

CREATE OR REPLACE TRIGGER statuscallback_data_report_insert AFTER INSERT
    ON statuscallback_data FOR EACH ROW
    CALL minicc_count_call(NEW.`Time`, NEW.CallStatus, NEW.CallDuration, 1)//
CREATE OR REPLACE TRIGGER statuscallback_data_report_update AFTER UPDATE
    ON statuscallback_data FOR EACH ROW
BEGIN
    IF minicc_hour(OLD.`Time`) <> minicc_hour(NEW.`Time`)
       OR NOT OLD.CallStatus <=> NEW.CallStatus
       OR NOT OLD.CallDuration <=> NEW.CallDuration THEN
        CALL minicc_count_call(OLD.`Time`, OLD.CallStatus, OLD.CallDuration, -1);
        CALL minicc_count_call(NEW.`Time`, NEW.CallStatus, NEW.CallDuration, 1);
    END IF;
END//
CREATE OR REPLACE TRIGGER statuscallback_data_report_delete AFTER DELETE
    ON statuscallback_data FOR EACH ROW
BEGIN
    IF @minicc_retention IS NULL THEN
        CALL minicc_count_call(OLD.`Time`, OLD.CallStatus, OLD.CallDuration,
                               -1);
    END IF;
END//

-- The summaries from scratch, in one transaction: the locking reads of
-- INSERT ... SELECT make webhooks that arrive meanwhile wait, and their
-- triggers then count them on top.
CREATE OR REPLACE PROCEDURE minicc_report_rebuild()
    MODIFIES SQL DATA
BEGIN
    START TRANSACTION;
    DELETE FROM report_hours;
    DELETE FROM report_hangups;
    DELETE FROM report_pickups;
    DELETE FROM report_operators;
    DELETE FROM report_queues;
    INSERT INTO report_hours (`Hour`, Shard, Offered, Answered, LongestWait)
    SELECT minicc_hour(`Time`) AS h, 0, COUNT(*),
           SUM(COALESCE(QueueResult IN ('bridged', 'bridging-in-process',
                                        'redirected-from-bridged'), 0)),
           MAX(QueueTime)
    FROM enqueue_data GROUP BY h;
    INSERT INTO report_hours (`Hour`, Shard, CallsTimed, CallSeconds)
    SELECT minicc_hour(`Time`) AS h, 0, COUNT(*), SUM(CallDuration)
    FROM statuscallback_data
    WHERE CallStatus = 'completed' AND CallDuration IS NOT NULL GROUP BY h
    ON DUPLICATE KEY UPDATE CallsTimed = VALUES(CallsTimed),
                            CallSeconds = VALUES(CallSeconds);
    INSERT INTO report_hangups (`Hour`, Seconds, N)
    SELECT minicc_hour(`Time`) AS h,
           LEAST(GREATEST(COALESCE(QueueTime, 0), -1), 3600) AS s, COUNT(*)
    FROM enqueue_data WHERE QueueResult = 'hangup' GROUP BY h, s;
    INSERT INTO report_pickups (`Hour`, Timed, Seconds, N)
    SELECT minicc_hour(`Time`) AS d, QueueTime IS NOT NULL AS tm,
           COALESCE(QueueTime, 0) AS s, COUNT(*)
    FROM queue_data GROUP BY d, tm, s;
    INSERT INTO report_operators (`Hour`, telnum, Answered)
    SELECT minicc_hour(q.`Time`) AS d, COALESCE(o.telnum, '') AS tn, COUNT(*)
    FROM queue_data q JOIN operator_sessions o ON o.CallSid = q.DequeingCallSid
    GROUP BY d, tn;
    INSERT INTO report_queues (`Hour`, Queue, Kind, Seconds, Shard, N)
    SELECT minicc_hour(`Time`) AS h, Queue, 0,
           LEAST(GREATEST(COALESCE(QueueTime, 0), 0), 86400) AS s, 0, COUNT(*)
    FROM enqueue_data WHERE Queue IS NOT NULL GROUP BY h, Queue, s;
    INSERT INTO report_queues (`Hour`, Queue, Kind, Seconds, Shard, N)
    SELECT minicc_hour(`Time`) AS h, Queue, 1, 0, 0, COUNT(*)
    FROM enqueue_data WHERE Queue IS NOT NULL
      AND QueueResult IN ('bridged', 'bridging-in-process',
                          'redirected-from-bridged') GROUP BY h, Queue;
    INSERT INTO report_queues (`Hour`, Queue, Kind, Seconds, Shard, N)
    SELECT minicc_hour(`Time`) AS h, Queue, 2,
           LEAST(GREATEST(COALESCE(QueueTime, 0), -1), 3600) AS s, 0, COUNT(*)
    FROM enqueue_data WHERE Queue IS NOT NULL AND QueueResult = 'hangup'
    GROUP BY h, Queue, s;
    INSERT INTO report_queues (`Hour`, Queue, Kind, Seconds, Shard, N)
    SELECT minicc_hour(`Time`) AS h, Queue, 3, COALESCE(QueueTime, -1) AS s,
           0, COUNT(*)
    FROM queue_data WHERE Queue IS NOT NULL GROUP BY h, Queue, s;
    COMMIT;
END//

-- The upgrade: summaries created just now over data recorded before.
CREATE OR REPLACE PROCEDURE minicc_report_rebuild_if_new()
    MODIFIES SQL DATA
BEGIN
    IF NOT EXISTS (SELECT 1 FROM report_hours)
       AND NOT EXISTS (SELECT 1 FROM report_pickups)
       AND NOT EXISTS (SELECT 1 FROM report_operators)
       AND (EXISTS (SELECT 1 FROM enqueue_data)
            OR EXISTS (SELECT 1 FROM queue_data)
            OR EXISTS (SELECT 1 FROM statuscallback_data)) THEN
        CALL minicc_report_rebuild();
    END IF;
END//

DELIMITER ;

CALL minicc_report_rebuild_if_new();

-- ---------------------------------------------------------------------
-- Bookkeeping that deletes (doc/contract.txt 17).  The module's database
-- user may SELECT, INSERT and UPDATE, never DELETE.  So the module updates
-- a row of this table with the time before which rows of its bookkeeping
-- table Name may go, and the trigger below, which runs with the rights of
-- whoever ran this script, deletes a batch of at most 1,000 of them and
-- notes how many.
-- ---------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS housekeeping (
    Name     VARCHAR(32) NOT NULL PRIMARY KEY,
    OlderThan DATETIME(6) NULL,              -- the last run's bound
    Deleted  INT         NOT NULL DEFAULT 0, -- rows the last run deleted
    Runs     BIGINT      NOT NULL DEFAULT 0  -- runs so far
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- MiniCCRetention (doc/contract.txt 16): the row 'retention' is the lock
-- of the day's run, taken by one server of a cluster at a time (Holder, a
-- lease until LeaseUntil; Day, the local date of the last run that
-- finished): an UPDATE, replicated as any, where GET_LOCK is not.  Each
-- update of 'retention:batch' deletes at most 1,000 rows older than
-- OlderThan from the first table, in the order below, that has any, and
-- says which (Doing) and how many (Deleted); none left: Deleted 0.
ALTER TABLE housekeeping
    ADD COLUMN IF NOT EXISTS Doing VARCHAR(32) NULL,
    ADD COLUMN IF NOT EXISTS Holder VARCHAR(64) NULL,
    ADD COLUMN IF NOT EXISTS LeaseUntil DATETIME(6) NULL,
    ADD COLUMN IF NOT EXISTS `Day` DATE NULL;
INSERT IGNORE INTO housekeeping (Name) VALUES ('live_waiting'), ('retention'),
    ('retention:batch');

DELIMITER //
CREATE OR REPLACE TRIGGER housekeeping_delete BEFORE UPDATE
    ON housekeeping FOR EACH ROW
BEGIN
    DECLARE n INT DEFAULT 0;
    DECLARE t VARCHAR(32) DEFAULT NULL;
    DECLARE b DATETIME(6) DEFAULT NEW.OlderThan;
    -- a summary's hour goes once it ends before the bound
    DECLARE h DATETIME(6) DEFAULT NEW.OlderThan - INTERVAL 1 HOUR;

    IF NEW.Name = 'live_waiting' AND NEW.OlderThan IS NOT NULL THEN
        DELETE FROM live_waiting WHERE `Time` < NEW.OlderThan LIMIT 1000;
        SET NEW.Deleted = ROW_COUNT(), NEW.Runs = OLD.Runs + 1;
    ELSEIF NEW.Name = 'retention:batch' AND NEW.OlderThan IS NOT NULL THEN
        -- the calls first, then what only they referred to, the summaries
        -- of their hours last and whole: the bound is on the hour (the
        -- module's), so no call's delete trigger need take it out of them
        -- one by one (@minicc_retention tells them, for this statement)
        SET @minicc_retention = 1;
        IF EXISTS (SELECT 1 FROM enqueue_data WHERE `Time` < b) THEN
            DELETE FROM enqueue_data WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'enqueue_data';
        ELSEIF EXISTS (SELECT 1 FROM queue_data WHERE `Time` < b) THEN
            DELETE FROM queue_data WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'queue_data';
        ELSEIF EXISTS (SELECT 1 FROM statuscallback_data WHERE `Time` < b) THEN
            DELETE FROM statuscallback_data WHERE `Time` < b ORDER BY `Time`
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'statuscallback_data';
        ELSEIF EXISTS (SELECT 1 FROM turned_away WHERE `Time` < b) THEN
            DELETE FROM turned_away WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'turned_away';
        ELSEIF EXISTS (SELECT 1 FROM voicemails WHERE `Time` < b) THEN
            DELETE FROM voicemails WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'voicemails';
        ELSEIF EXISTS (SELECT 1 FROM callbacks WHERE `Time` < b) THEN
            DELETE FROM callbacks WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'callbacks';
        ELSEIF EXISTS (SELECT 1 FROM recordings WHERE `Time` < b) THEN
            DELETE FROM recordings WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'recordings';
        ELSEIF EXISTS (SELECT 1 FROM surveys WHERE `Time` < b) THEN
            DELETE FROM surveys WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'surveys';
        ELSEIF EXISTS (SELECT 1 FROM live_waiting WHERE `Time` < b) THEN
            DELETE FROM live_waiting WHERE `Time` < b ORDER BY `Time` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'live_waiting';
        ELSEIF EXISTS (SELECT 1 FROM operator_sessions WHERE LastSeen < b) THEN
            DELETE FROM operator_sessions WHERE LastSeen < b ORDER BY LastSeen
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'operator_sessions';
        ELSEIF EXISTS (SELECT 1 FROM operator_states WHERE Began < b) THEN
            DELETE FROM operator_states WHERE Began < b ORDER BY Began LIMIT 1000;
            SET n = ROW_COUNT(), t = 'operator_states';
        ELSEIF EXISTS (SELECT 1 FROM report_hours WHERE `Hour` <= h) THEN
            DELETE FROM report_hours WHERE `Hour` <= h ORDER BY `Hour` LIMIT 1000;
            SET n = ROW_COUNT(), t = 'report_hours';
        ELSEIF EXISTS (SELECT 1 FROM report_hangups WHERE `Hour` <= h) THEN
            DELETE FROM report_hangups WHERE `Hour` <= h ORDER BY `Hour`
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'report_hangups';
        ELSEIF EXISTS (SELECT 1 FROM report_pickups WHERE `Hour` <= h) THEN
            DELETE FROM report_pickups WHERE `Hour` <= h ORDER BY `Hour`
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'report_pickups';
        ELSEIF EXISTS (SELECT 1 FROM report_operators WHERE `Hour` <= h) THEN
            DELETE FROM report_operators WHERE `Hour` <= h ORDER BY `Hour`
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'report_operators';
        ELSEIF EXISTS (SELECT 1 FROM report_queues WHERE `Hour` <= h) THEN
            DELETE FROM report_queues WHERE `Hour` <= h ORDER BY `Hour`
                LIMIT 1000;
            SET n = ROW_COUNT(), t = 'report_queues';
        END IF;
        SET @minicc_retention = NULL;
        SET NEW.Deleted = n, NEW.Doing = t, NEW.Runs = OLD.Runs + 1;
    END IF;
END//
DELIMITER ;

-- The upgrade from a version that kept every caller in live_waiting: the
-- callers of more than a day ago (whatever the zone of their times) go at
-- once, the rest a batch at a time.
DELETE FROM live_waiting WHERE `Time` < NOW() - INTERVAL 1 DAY;
