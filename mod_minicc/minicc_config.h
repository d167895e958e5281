/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The directives (config.c): per-directory settings, merged from outer to
 * inner sections, and the server-wide ones.  Every value is checked when
 * the configuration is read, so that a mistake stops `apachectl
 * configtest` instead of reaching a caller.
 */
#ifndef MINICC_CONFIG_H
#define MINICC_CONFIG_H

#include <apr_hash.h>
#include <httpd.h>
#include <http_config.h>

#include "minicc_time.h"

/*
 * The per-directory directives that take one value.  A line here is the
 * whole of such a directive: its id (MINICC_<id>), its name, how config.c
 * reads its value (queue, language, voice, url, public_url, seconds,
 * count, key, flag, test_time), the range of that value (characters of
 * a name, seconds), its default as text (NULL: none) or as a number, and
 * its help.  Creating,
 * merging, and the key under which the TwiML of a configuration is
 * written once at startup all go over every line: a new directive of this
 * kind is one more line, and nothing else.
 */
#define MINICC_SETTINGS(X) \
    X(QUEUE, "MiniCCQueue", queue, 1, 64, "support", 0, \
      "the Twilio queue's name (default support)") \
    X(LANGUAGE, "MiniCCLanguage", language, 0, 0, "en-US", 0, \
      "language of every <Say> (default en-US)") \
    X(VOICE, "MiniCCVoice", voice, 0, 0, NULL, 0, \
      "voice of every <Say>, e.g. alice or Polly.Mizuki") \
    X(HOLD_MUSIC, "MiniCCHoldMusic", url, 0, 0, \
      "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3", \
      0, "URL of the hold music played while callers wait") \
    X(WAIT_PAUSE, "MiniCCWaitPause", seconds, 0, 600, NULL, 3, \
      "seconds of silence before the position announcement") \
    X(GATHER_TIMEOUT, "MiniCCGatherTimeout", seconds, 1, 600, NULL, 10, \
      "seconds the IVR waits for a key (default 10)") \
    X(ANNOUNCE_WAIT, "MiniCCAnnounceWait", flag, 0, 1, NULL, 0, \
      "On to say the expected wait to queued callers") \
    X(PUBLIC_URL, "MiniCCPublicURL", public_url, 0, 0, NULL, 0, \
      "scheme://host[:port] that Twilio calls, when Apache is behind a " \
      "proxy or TLS terminator") \
    X(SERVICE_LEVEL, "MiniCCServiceLevel", seconds, 1, 3600, NULL, 20, \
      "report: pick-ups within this many seconds of waiting are within " \
      "the service level (default 20)") \
    X(SHORT_ABANDON, "MiniCCShortAbandon", seconds, 0, 3600, NULL, 5, \
      "report: hang-ups within this many seconds are short abandons, " \
      "left out of the abandon rate (default 5)") \
    X(MAX_QUEUE, "MiniCCMaxQueue", count, 1, 100000, NULL, 0, \
      "a waiting caller whose QueuePosition is above this leaves the " \
      "queue (overflow; default: no limit)") \
    X(MAX_WAIT, "MiniCCMaxWait", seconds, 1, 86400, NULL, 0, \
      "a waiting caller whose QueueTime reaches this many seconds leaves " \
      "the queue (default: no limit)") \
    X(VOICEMAIL, "MiniCCVoicemail", flag, 0, 1, NULL, 0, \
      "On: a caller turned away may leave a message") \
    X(VOICEMAIL_LENGTH, "MiniCCVoicemailLength", seconds, 1, 3600, NULL, 120, \
      "the longest message, in seconds (default 120)") \
    X(CALLBACK, "MiniCCCallback", flag, 0, 1, NULL, 0, \
      "On: a waiting caller may ask to be called back, keeping the place " \
      "in line") \
    X(CALLBACK_KEY, "MiniCCCallbackKey", key, 0, 0, "1", 0, \
      "the key a waiting caller presses to be called back (default 1)") \
    X(CALLBACK_ATTEMPTS, "MiniCCCallbackAttempts", count, 1, 20, NULL, 3, \
      "dialling attempts before a call-back is given up (default 3)") \
    X(CALLBACK_IDLE, "MiniCCCallbackIdle", seconds, 5, 600, NULL, 20, \
      "with call-backs on: seconds an operator's Dial waits for a caller " \
      "before the loop comes round to take a call-back (default 20)") \
    X(WRAP_UP, "MiniCCWrapUp", seconds, 0, 3600, NULL, 0, \
      "seconds after each conversation in which an operator takes no " \
      "caller, or until they press # (default 0: none)") \
    X(OPERATOR_MENU, "MiniCCOperatorMenu", flag, 0, 1, NULL, 0, \
      "On: operators reach their menu (ready, break, log out) with *; " \
      "the default is On where MiniCCWrapUp or MiniCCBreakReasons is set") \
    X(OPERATOR_PIN, "MiniCCOperatorPIN", flag, 0, 1, NULL, 0, \
      "On: an operator who calls in keys their PIN (operators.PIN) " \
      "before taking callers") \
    X(RECORD_CALLS, "MiniCCRecordCalls", flag, 0, 1, NULL, 0, \
      "On: each conversation of the operators' loop is recorded on two " \
      "channels, the caller told first (recording-notice)") \
    X(SURVEY, "MiniCCSurvey", flag, 0, 1, NULL, 0, \
      "On: a caller still on the line after their conversation is asked " \
      "for a score from 1 to 5") \
    X(ACCOUNT_SID, "MiniCCAccountSid", account_sid, 0, 0, NULL, 0, \
      "the Twilio account (AC...) of the operators' access tokens") \
    X(API_KEY, "MiniCCAPIKey", key_sid, 0, 0, NULL, 0, \
      "the Twilio API key (SK...) that signs the operators' access tokens") \
    X(API_SECRET_FILE, "MiniCCAPISecretFile", secret_file, 0, 0, NULL, 0, \
      "the file holding the API key's secret (read at startup)") \
    X(TWIML_APP, "MiniCCTwimlApp", app_sid, 0, 0, NULL, 0, \
      "the TwiML App (AP...) whose Voice URL is minicc-client-voice") \
    X(TOKEN_TTL, "MiniCCTokenTTL", seconds, 60, 86400, NULL, 3600, \
      "seconds an operator's access token lasts (default 3600)") \
    X(VOICE_SDK, "MiniCCVoiceSDK", sdk_url, 0, 0, NULL, 0, \
      "where the operators' page (minicc-agent) loads Twilio's Voice SDK " \
      "(twilio.min.js of npm's @twilio/voice-sdk): a path on this server " \
      "or an http(s) URL") \
    X(MESSAGE_DEFAULTS, "MiniCCMessageDefaults", language_of_messages, 0, \
      0, "en", 0, \
      "the texts of messages not set by MiniCCMessage: en (English, the " \
      "default) or ja (Japanese)") \
    X(TEST_TIME, "MiniCCTestTime", test_time, 0, 0, NULL, 0, \
      "for tests only: the local time (YYYY-MM-DD HH:MM:SS) at which " \
      "MiniCCHours and the holidays are judged, instead of the request's") \
    X(TEST_CLOCK, "MiniCCTestClock", test_clock, 0, 0, NULL, 0, \
      "for tests only: the moment, in UTC (YYYY-MM-DD HH:MM:SS[.ffffff]Z), " \
      "at which requests arrive: what is stored and every timer; or " \
      "header: each request's X-MiniCC-Test-Clock")

#define MINICC_SETTING_ID(id, name, parse, min, max, text, number, help) \
    MINICC_##id,
typedef enum {
    MINICC_SETTINGS(MINICC_SETTING_ID)
    MINICC_SETTING_COUNT
} minicc_setting_e;

/* The messages a caller hears (MiniCCMessage key "text"): a line each,
 * its id (MINICC_MSG_<id>), its key, its default English text and its
 * default Japanese text (MiniCCMessageDefaults ja; conf/minicc-ja.conf's
 * lines are these, t/00_house.t holds them to it).  A new message is one
 * more line here. */
#define MINICC_MESSAGES(X) \
    X(WELCOME, "welcome", \
      "Thank you for calling. For an operator, press 1. " \
      "For product information, press 2.", \
      "お電話ありがとうございます。お問い合わせは1を、最新の製品情" \
      "報は2を押してください。") \
    X(RETRY, "retry", \
      "Sorry, that is not a valid choice. For an operator, press 1. " \
      "For product information, press 2.", \
      "申し訳ございません。入力が確認できませんでした。お問い合わせ" \
      "は1を、最新の製品情報は2を押してください。") \
    X(NOINPUT, "noinput", \
      "We will connect you to an operator.", \
      "オペレータにおつなぎします。") \
    X(CONNECTING, "connecting", \
      "Connecting you to an operator. Please hold.", \
      "オペレータにおつなぎします。このまま、しばらくお待ちください" \
      "。") \
    X(TROUBLE, "trouble", \
      "We are sorry, we cannot take your call right now. " \
      "Please call again later.", \
      "申し訳ございません。ただいまお電話をお受けすることができませ" \
      "ん。恐れ入りますが、しばらくしてからおかけ直しください。") \
    X(OPERATOR, "operator", \
      "You are in the operator queue. The next caller will be connected " \
      "to you.", \
      "オペレータの待ち受けを開始します。次のお客様におつなぎします" \
      "。") \
    X(WAIT, "wait", \
      "Thank you for waiting. You are number {position} in line.", \
      "大変お待たせしております。お客様の順番は{position}" \
      "番目です。このまま、しばらくお待ちください。") \
    X(WAIT_GENERAL, "wait-general", \
      "Thank you for waiting. An operator will be with you shortly.", \
      "大変お待たせしております。オペレータにおつなぎするまで、この" \
      "まま、しばらくお待ちください。") \
    X(ESTIMATE, "estimate", \
      "The expected wait is about {minutes} minutes.", \
      "お待ちいただく時間は、およそ{minutes}分です。") \
    X(GUIDANCE, "guidance", \
      "You are now connected to an operator.", \
      "お待たせいたしました。オペレータにおつなぎします。") \
    X(INFORMATION, "information", \
      "Thank you for your interest in our products. Our latest product " \
      "information is available on our web site. Goodbye.", \
      "最新の製品情報をご案内いたします。製品の詳しい情報は、当社の" \
      "ウェブサイトでご覧いただけます。お電話ありがとうございました" \
      "。") \
    X(CLOSED, "closed", \
      "Thank you for calling. We are closed now. Please call again during " \
      "our opening hours.", \
      "お電話ありがとうございます。ただいまの時間は受付を終了してお" \
      "ります。恐れ入りますが、受付時間内におかけ直しください。") \
    X(OVERFLOW, "overflow", \
      "We are sorry, all our operators are busy.", \
      "申し訳ございません。ただいま大変混み合っております。") \
    X(VOICEMAIL, "voicemail", \
      "Please leave a message after the beep, and press the pound key when " \
      "you are done.", \
      "発信音のあとにメッセージをお話しください。終わりましたらシャ" \
      "ープを押してください。") \
    X(VOICEMAIL_THANKS, "voicemail-thanks", \
      "Thank you for your message. Goodbye.", \
      "メッセージをお預かりしました。お電話ありがとうございました。") \
    X(CALLBACK_OFFER, "callback-offer", \
      "To be called back instead of waiting, keeping your place in line, " \
      "press {key}.", \
      "順番はそのままで、お電話を切ってこちらからの折り返しをご希望" \
      "の方は、{key} を押してください。") \
    X(CALLBACK_CONFIRM, "callback-confirm", \
      "Thank you. We will call you back when it is your turn. Goodbye.", \
      "承りました。順番になりましたらこちらからお電話いたします。お" \
      "電話ありがとうございました。") \
    X(CALLBACK_OPERATOR, "callback-operator", \
      "Calling back a customer who asked for a call-back.", \
      "折り返しをご希望のお客様にお電話します。") \
    X(CALLBACK_GREETING, "callback-greeting", \
      "Hello, this is the call-back you asked for. Connecting you to an " \
      "operator.", \
      "ご希望の折り返しのお電話です。オペレータにおつなぎします。") \
    X(CALLBACK_IMPOSSIBLE, "callback-impossible", \
      "We are sorry, we cannot call back the number you are calling from. " \
      "Please stay on the line.", \
      "申し訳ございません。おかけの番号には折り返しができません。こ" \
      "のままお待ちください。") \
    X(OPERATOR_MENU, "operator-menu", \
      "Operator menu. To take callers, press 1. For a break, press " \
      "2. To log out, press 9.", \
      "オペレータメニューです。受付を始めるには1を、休憩は2を、ロ" \
      "グアウトは9を押してください。") \
    X(BREAK_REASONS, "break-reasons", \
      "For {reason}, press {key}.", \
      "{reason}は{key}を押してください。") \
    X(ON_BREAK, "on-break", \
      "You are on a break. To take callers again, press 1.", \
      "休憩中です。受付を再開するには1を押してください。") \
    X(WRAPUP, "wrapup", \
      "Wrap-up. Press the pound key when you are ready for the next" \
      " caller.", \
      "後処理の時間です。次のお客様を受ける準備ができたらシャープを" \
      "押してください。") \
    X(PIN, "pin", \
      "Please enter your PIN, then press the pound key.", \
      "暗証番号を入力し、最後にシャープを押してください。") \
    X(PIN_WRONG, "pin-wrong", \
      "That PIN is not correct.", \
      "暗証番号が正しくありません。") \
    X(OPERATOR_GOODBYE, "operator-goodbye", \
      "You are logged out. Goodbye.", \
      "ログアウトしました。お疲れさまでした。") \
    X(WHISPER, "whisper", \
      "Taking callers of {queue}.", \
      "{queue}のお客様をお受けします。") \
    X(RECORDING_NOTICE, "recording-notice", \
      "This call will be recorded for quality and training.", \
      "品質向上と研修のため、この通話は録音されます。") \
    X(SURVEY, "survey", \
      "How satisfied were you with this call? Press a key from 1, not at " \
      "all, to 5, very satisfied.", \
      "今回の対応にどの程度ご満足いただけましたか。1（不満）から5（満足）" \
      "までの数字を押してください。") \
    X(SURVEY_THANKS, "survey-thanks", \
      "Thank you for calling. Goodbye.", \
      "お電話ありがとうございました。失礼いたします。")

#define MINICC_MSG_ID(id, key, en, ja) MINICC_MSG_##id,
typedef enum {
    MINICC_MESSAGES(MINICC_MSG_ID)
    MINICC_MSG_COUNT
} minicc_msg_e;

/* The URLs written into TwiML (MiniCCURL target url): a line each, its id
 * (MINICC_URL_<id>) and its name, which is also its default (relative). */
#define MINICC_URLS(X) \
    X(INCOMING, "incoming") \
    X(OPERATOR, "operator") \
    X(WAIT, "wait") \
    X(GUIDANCE, "guidance") \
    X(EXIT, "exit") \
    X(INFORMATION, "information") \
    X(VOICEMAIL, "voicemail") \
    X(CALLBACK, "callback") \
    X(CALLBACK_ANSWER, "callback-answer") \
    X(RECORDING, "recording") \
    X(SURVEY, "survey")

#define MINICC_URL_ID(id, name) MINICC_URL_##id,
typedef enum {
    MINICC_URLS(MINICC_URL_ID)
    MINICC_URL_COUNT
} minicc_url_e;

/* A reason an operator can give for a break (MiniCCBreakReasons "1
 * Lunch" ...): the key they press, and its name (operator_states.Reason). */
typedef struct {
    char key;
    const char *name;
} minicc_reason_t;

/* A key of the callers' menu (MiniCCMenu key target): a queue (target its
 * name; NULL: MiniCCQueue), the information, a voicemail, or another URL
 * (target: where the caller is redirected, into its Location's queue). */
#define MINICC_MENU_WORDS(X) \
    X(QUEUE, "queue") \
    X(INFORMATION, "information") \
    X(VOICEMAIL, "voicemail")
#define MINICC_MENU_ID(id, word) MINICC_MENU_##id,
typedef enum {
    MINICC_MENU_WORDS(MINICC_MENU_ID)
    MINICC_MENU_URL
} minicc_menu_e;
typedef struct {
    char key;
    minicc_menu_e what;
    const char *target;
} minicc_menu_t;

/* A queue's own service level (MiniCCQueueServiceLevel NAME seconds). */
typedef struct {
    const char *queue;
    int seconds;
} minicc_queue_level_t;

/* The TwiML written for a configuration at startup (docs.c). */
struct minicc_docs;
/* The configurations of a section's queues, made at startup (docs.c). */
struct minicc_queue_confs;

/* Per-directory settings.  Only the accessors below read them: they
 * supply the defaults for what a section does not set. */
typedef struct minicc_dir_conf {
    const char *text[MINICC_SETTING_COUNT];     /* as given; NULL: not set
                                                 * here */
    int number[MINICC_SETTING_COUNT];           /* seconds, flags */
    const char *messages[MINICC_MSG_COUNT];
    const char *urls[MINICC_URL_COUNT];
    const minicc_hours_t *hours;        /* NULL: always open */
    const minicc_reason_t *reasons;     /* MiniCCBreakReasons; NULL: a
                                         * break has no reason */
    int nreasons;
    const char *const *tokens;  /* Twilio auth tokens; NULL: not checked */
    int ntokens;
    const minicc_menu_t *menu;  /* MiniCCMenu, in the order given; NULL:
                                 * 1 the queue, 2 the information */
    int nmenu;
    const minicc_queue_level_t *levels;     /* MiniCCQueueServiceLevel */
    int nlevels;
    /* The queue a request of this configuration serves, when it is not
     * MiniCCQueue's (minicc_conf_queue): its name, NULL for MiniCCQueue,
     * and the configuration it was made from. */
    const char *queue;
    const struct minicc_dir_conf *origin;
    /* Made at startup, never merged: the TwiML of this object (NULL:
     * written for each request), and the merges of this section onto the
     * bases the location walk merges it onto. */
    const struct minicc_docs *docs;
    const struct minicc_merged *merged;
    const struct minicc_queue_confs *queues;
} minicc_dir_conf;

/* The configurations of a section's menu queues (minicc_conf_queue), made
 * once at startup by minicc_conf_queues_make, their TwiML then written by
 * docs.c. */
typedef struct minicc_queue_confs {
    minicc_dir_conf *conf;
    const struct minicc_queue_confs *next;
} minicc_queue_confs_t;
void minicc_conf_queues_make(apr_pool_t *pconf, minicc_dir_conf *c);


/* When the request came: MiniCCTestClock in tests (with "header", the
 * header MINICC_TEST_CLOCK_HEADER of headers when it is a moment), else
 * request_time. */
#define MINICC_TEST_CLOCK_HEADER_WORD "header"
#define MINICC_TEST_CLOCK_HEADER "X-MiniCC-Test-Clock"
apr_time_t minicc_conf_now(const minicc_dir_conf *c, apr_time_t request_time,
                           const apr_table_t *headers);
/* When the request came, in local time (MiniCCTestTime in tests; pass
 * minicc_conf_now's time). */
void minicc_conf_when(const minicc_dir_conf *c, apr_time_t request_time,
                      minicc_when_t *when);
/* Whether MiniCCHours let customers in at when (no MiniCCHours: always). */
int minicc_conf_open(const minicc_dir_conf *c, const minicc_when_t *when);

/* Whether operators have the menu of doc/contract.txt 13 (MiniCCOperatorMenu,
 * or by default MiniCCWrapUp or MiniCCBreakReasons), and whether their
 * Dial comes back after each conversation (the menu, or a wrap-up). */
int minicc_conf_operator_menu(const minicc_dir_conf *c);
int minicc_conf_operator_states(const minicc_dir_conf *c);
/* The reason of key (NULL: none) */
const char *minicc_conf_reason(const minicc_dir_conf *c, char key);

const char *minicc_conf_text(const minicc_dir_conf *c, minicc_setting_e id);
/* The directive of a setting ("MiniCCQueue"), for messages. */
const char *minicc_conf_setting_name(minicc_setting_e id);
int minicc_conf_number(const minicc_dir_conf *c, minicc_setting_e id);
const char *minicc_conf_message(const minicc_dir_conf *c, minicc_msg_e key);
const char *minicc_conf_url(const minicc_dir_conf *c, minicc_url_e target);

/* The callers' menu: its keys in the order given (the default: 1 the
 * queue, 2 the information); *n gets how many. */
const minicc_menu_t *minicc_conf_menu(const minicc_dir_conf *c, int *n);
/* The menu's item of key, or NULL. */
const minicc_menu_t *minicc_conf_menu_key(const minicc_dir_conf *c, char key);
/* The queue a caller who keys nothing joins: the menu's first queue, or
 * MiniCCQueue. */
const char *minicc_conf_first_queue(const minicc_dir_conf *c);
/* The service level of queue, in seconds: its MiniCCQueueServiceLevel,
 * or MiniCCServiceLevel. */
int minicc_conf_service_level(const minicc_dir_conf *c, const char *queue);
/* c for a request that serves queue: c itself for its MiniCCQueue, else
 * the same settings with MiniCCQueue queue and the URLs of the queue's
 * own requests (wait, exit, guidance, callback) marked queue=NAME; the
 * one made at startup (minicc_docs_prepare), or a new one in p. */
const minicc_dir_conf *minicc_conf_queue(apr_pool_t *p,
                                         const minicc_dir_conf *c,
                                         const char *queue);
/* The query that marks a queue's URLs ("queue=" and its name, form
 * encoded), and whether a queue name is one MiniCCQueue would take. */
#define MINICC_QUEUE_ARG "queue"
int minicc_conf_queue_name_ok(const char *queue);

/* A text that is the same for two configurations exactly when everything
 * they set is: the TwiML written for one serves the other. */
const char *minicc_conf_key(apr_pool_t *p, const minicc_dir_conf *c);

/* merge_dir_conf at startup: the merge of add onto base, made once and
 * remembered on add, so that the location walk of a request finds it
 * made. */
minicc_dir_conf *minicc_conf_merge_once(apr_pool_t *pconf,
                                        minicc_dir_conf *base,
                                        minicc_dir_conf *add);

/* Server-wide settings: MiniCCSpool and MiniCCDBTimeout, the main
 * server's for every server (minicc_merge_srv_conf). */
typedef struct {
    const char *spool;          /* MiniCCSpool; NULL: none */
    int db_timeout;             /* MiniCCDBTimeout: seconds; 0 unbounded */
    int retention_days;         /* MiniCCRetention; 0: keep every row */
    const struct minicc_dbconn_conf *db;    /* db.c's, from check_config */
    struct minicc_metrics *metrics;     /* this generation's counters
                                         * (post_config; NULL: none) */
    apr_hash_t *child;          /* this child's state of each layer, by
                                 * server_rec (minicc_child_set) */
} minicc_srv_conf;

minicc_srv_conf *minicc_srv_conf_of(server_rec *s);


extern const command_rec minicc_cmds[];
void *minicc_create_dir_conf(apr_pool_t *p, char *dir);
void *minicc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *minicc_create_srv_conf(apr_pool_t *p, server_rec *s);
void *minicc_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* The password the samples in conf/ ship with (DBDParams pass=...). */
#define MINICC_SAMPLE_PASSWORD "CHANGE-ME"
const char *minicc_conf_sample_password(apr_pool_t *p);

#endif /* MINICC_CONFIG_H */
