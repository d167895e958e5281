-- mod_minicc schema: every table the module reads or writes.
-- Safe to run again on a live database: it only creates what is missing.
-- MySQL/MariaDB, InnoDB, utf8mb4.  Column sizes are mirrored in
-- mod_minicc/record.c: a value too long for its column is logged and stored
-- as NULL by the module instead of being cut by the server.

CREATE TABLE IF NOT EXISTS operators (
    telnum        VARCHAR(20)  NOT NULL PRIMARY KEY    -- E.164, as Twilio sends From
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
    `Time`        DATETIME(6)  NOT NULL,
    -- covering for the report's per-range aggregates and the call-back list
    KEY enqueue_time (`Time`, QueueResult, QueueTime),
    KEY enqueue_result_time (QueueResult, `Time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
    `Time`          DATETIME(6)  NOT NULL,
    KEY queue_time (`Time`, QueueTime, DequeingCallSid),
    KEY queue_dequeing (DequeingCallSid)
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
    LastSeen  DATETIME(6) NOT NULL,
    KEY operator_sessions_telnum (telnum)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
