// redact_url(s): each URL redacted by the driver that claims it, other URIs as PostgreSQL's are.
#include "datamig/redaction.hpp"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("redact_url hides the password in every URL form", "[redaction][database]") {
    using datamig::redact_url;
    CHECK(redact_url("postgres://user:secret@host/db") == "postgres://user:***@host/db");
    CHECK(redact_url("postgresql://user:s%40cret@host:5432/db?sslmode=require") ==
          "postgresql://user:***@host:5432/db?sslmode=require");
    CHECK(redact_url("postgres://user@host/db?sslmode=require&password=secret&connect_timeout=5") ==
          "postgres://user@host/db?sslmode=require&password=***&connect_timeout=5");
    CHECK(redact_url("postgres://user:pa/ss@word@host/db") == "postgres://user:***@host/db");
    // libpq would read the part after the first '@' as the host; it is the password all the same.
    CHECK(redact_url("postgres://user:Sekr3t@zzTop@host/db?sslmode=require") ==
          "postgres://user:***@host/db?sslmode=require");
    CHECK(redact_url("postgres://user:pa/ss@host/db") == "postgres://user:***@host/db");
    CHECK(redact_url("postgres://user:a?b#c@host/db?application_name=x@y") ==
          "postgres://user:***@host/db?application_name=x@y");
    CHECK(redact_url("host=localhost password=secret dbname=app") == "host=localhost password=*** dbname=app");
    CHECK(redact_url("host=localhost password = 'x y\\'z' dbname=app") == "host=localhost password = *** dbname=app");
    CHECK(redact_url("mysql://root:secret@host/db") == "mysql://root:***@host/db");
    // A URL no driver claims hides its password as a PostgreSQL URI would, '/' and ?password= too.
    CHECK(redact_url("postgress://user:pa/ss@host/db") == "postgress://user:***@host/db");
    CHECK(redact_url("mysql://root@host/db?password=secret") == "mysql://root@host/db?password=***");
}

TEST_CASE("redact_url leaves URLs without a password unchanged", "[redaction][database]") {
    using datamig::redact_url;
    CHECK(redact_url("postgres://user@host/db") == "postgres://user@host/db");
    CHECK(redact_url("postgres://host:5432/db") == "postgres://host:5432/db");
    CHECK(redact_url("host=localhost dbname=app") == "host=localhost dbname=app");
    CHECK(redact_url("sqlite:db/datamig.sqlite3") == "sqlite:db/datamig.sqlite3");
    CHECK(redact_url("sqlite:///var/lib/user:pw@x.sqlite3") == "sqlite:///var/lib/user:pw@x.sqlite3");
}

TEST_CASE("redact_urls redacts the URLs where they stand, not the password's letters elsewhere",
          "[redaction][database]") {
    using datamig::redact_urls;
    const std::string url = "postgres://app:s3cret@db/app";
    CHECK(redact_urls("connecting to " + url + "; DATABASE_URL=" + url, {url}) ==
          "connecting to postgres://app:***@db/app; DATABASE_URL=postgres://app:***@db/app");
    // A one-letter password, or one equal to the user name, leaves the rest of a line readable.
    CHECK(redact_urls("postgres://u:p@db/app: could not connect to postgres on port 5432", {"postgres://u:p@db/app"}) ==
          "postgres://u:***@db/app: could not connect to postgres on port 5432");
    CHECK(redact_urls("postgres://app:app@db/app as user app", {"postgres://app:app@db/app"}) ==
          "postgres://app:***@db/app as user app");
    CHECK(redact_urls("host=db password='x y' user=app", {"sqlite:x.db", "host=db password='x y' user=app"}) ==
          "host=db password=*** user=app");
    // A redacted form containing the URL itself (no password) must neither loop nor change it.
    CHECK(redact_urls("sqlite:db/x.sqlite3 and postgres://h/db", {"sqlite:db/x.sqlite3", "postgres://h/db", ""}) ==
          "sqlite:db/x.sqlite3 and postgres://h/db");
}

TEST_CASE("Redactions: worked out once, applied to many texts; repeats and password-less URLs are skipped",
          "[redaction]") {
    const std::string first = "postgres://app:one@db1/a";
    const std::string second = "postgres://app:two@db2/b";
    const datamig::Redactions redactions({first, second, first, "sqlite:x.db", ""});
    CHECK(redactions.apply(first + " then " + second + " and sqlite:x.db") ==
          "postgres://app:***@db1/a then postgres://app:***@db2/b and sqlite:x.db");
    CHECK(redactions.apply("nothing here") == "nothing here");
}
