<?php
/*
 * A SabreDAV CalDAV server for tests/test_calendar_caldav_sabre.py, run by PHP's built-in
 * server as its router script:
 *
 *   SABRE_DB=/tmp/x/dav.sqlite SABRE_AUTH=digest php -S 127.0.0.1:PORT tests/sabredav/server.php
 *
 * Debian's php-sabre-dav (SabreDAV 1.8) with its SQLite PDO backends, as in its
 * examples/calendarserver.php. SABRE_AUTH picks the sign-in: "digest" (SabreDAV's default, and
 * so Baikal's: Sabre\DAV\Auth\Backend\PDO, HTTP Digest MD5 with qop=auth) or "basic" (a
 * Sabre\DAV\Auth\Backend\AbstractBasic checking the same users table). The database is made on
 * the first request: one user, alice, password "correct horse", with one calendar,
 * /calendars/alice/home/.
 */

// SabreDAV 1.8 predates PHP 8: keep its deprecation notices out of the responses.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED & ~E_NOTICE & ~E_WARNING);
ini_set('display_errors', '0');
date_default_timezone_set('UTC');

require_once 'Sabre/autoload.php';

const REALM = 'SabreDAV';
const USER = 'alice';
const PASSWORD = 'correct horse';

$path = getenv('SABRE_DB');
if (!$path) {
    http_response_code(500);
    exit("SABRE_DB is not set\n");
}
$fresh = !file_exists($path);
$pdo = new \PDO('sqlite:' . $path);
$pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
$pdo->exec('PRAGMA busy_timeout = 5000');

if ($fresh) {
    // The schema of Debian's examples/sql/sqlite.{principals,users,calendars,locks}.sql.
    $pdo->exec(<<<'SQL'
CREATE TABLE IF NOT EXISTS principals (
    id INTEGER PRIMARY KEY ASC, uri TEXT, email TEXT, displayname TEXT, vcardurl TEXT,
    UNIQUE(uri)
);
CREATE TABLE IF NOT EXISTS groupmembers (
    id INTEGER PRIMARY KEY ASC, principal_id INTEGER, member_id INTEGER,
    UNIQUE(principal_id, member_id)
);
CREATE TABLE IF NOT EXISTS users (
    id integer primary key asc, username TEXT, digesta1 TEXT, UNIQUE(username)
);
CREATE TABLE IF NOT EXISTS calendars (
    id integer primary key asc, principaluri text, displayname text, uri text, ctag integer,
    description text, calendarorder integer, calendarcolor text, timezone text,
    components text, transparent bool
);
CREATE TABLE IF NOT EXISTS calendarobjects (
    id integer primary key asc, calendardata blob, uri text, calendarid integer,
    lastmodified integer, etag text, size integer, componenttype text,
    firstoccurence integer, lastoccurence integer
);
CREATE TABLE IF NOT EXISTS locks (
    id integer primary key asc, owner text, timeout integer, created integer, token text,
    scope integer, depth integer, uri text
);
SQL);
    $pdo->exec("INSERT OR IGNORE INTO principals (uri, email, displayname) VALUES
        ('principals/alice', 'alice@example.org', 'Alice'),
        ('principals/alice/calendar-proxy-read', null, null),
        ('principals/alice/calendar-proxy-write', null, null)");
    $add = $pdo->prepare('INSERT OR IGNORE INTO users (username, digesta1) VALUES (?, ?)');
    $add->execute([USER, md5(USER . ':' . REALM . ':' . PASSWORD)]);
    $pdo->exec("INSERT INTO calendars (principaluri, displayname, uri, ctag, components)
        VALUES ('principals/alice', 'Home', 'home', 1, 'VEVENT,VTODO')");
}

/** Basic sign-in against the users table (its digesta1 is md5(user:realm:password)). */
class BasicFromUsers extends \Sabre\DAV\Auth\Backend\AbstractBasic
{
    private $pdo;

    public function __construct(\PDO $pdo)
    {
        $this->pdo = $pdo;
    }

    protected function validateUserPass($username, $password)
    {
        $query = $this->pdo->prepare('SELECT digesta1 FROM users WHERE username = ?');
        $query->execute([$username]);
        $stored = $query->fetchColumn();
        return $stored !== false
            && hash_equals($stored, md5($username . ':' . REALM . ':' . $password));
    }
}

$auth = getenv('SABRE_AUTH') ?: 'digest';
$authBackend = $auth === 'basic'
    ? new BasicFromUsers($pdo)
    : new \Sabre\DAV\Auth\Backend\PDO($pdo);
$calendarBackend = new \Sabre\CalDAV\Backend\PDO($pdo);
$principalBackend = new \Sabre\DAVACL\PrincipalBackend\PDO($pdo);

$server = new \Sabre\DAV\Server([
    new \Sabre\CalDAV\Principal\Collection($principalBackend),
    new \Sabre\CalDAV\CalendarRootNode($principalBackend, $calendarBackend),
]);
$server->setBaseUri('/');
$server->addPlugin(new \Sabre\DAV\Auth\Plugin($authBackend, REALM));
$server->addPlugin(new \Sabre\DAVACL\Plugin());
$server->addPlugin(new \Sabre\CalDAV\Plugin());
$server->exec();
