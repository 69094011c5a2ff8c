#include "datamig/file_text.hpp"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("normalize_text drops a BOM and CRLF line ends", "[file_text]") {
    CHECK(datamig::normalize_text("\xEF\xBB\xBFSELECT 1;\r\nSELECT 2;\r\n") == "SELECT 1;\nSELECT 2;\n");
    CHECK(datamig::normalize_text("a\rb\n") == "a\rb\n");                // a lone CR is content
    CHECK(datamig::normalize_text("x\xEF\xBB\xBF") == "x\xEF\xBB\xBF");  // only a leading BOM
    CHECK(datamig::normalize_text("").empty());
    CHECK(datamig::normalize_text("a\r\r\nb\r\n\r\nc\r") == "a\r\nb\n\nc\r");  // only the CR before an LF goes
}

TEST_CASE("sha256_hex is the lower-case hex SHA-256", "[file_text]") {
    CHECK(datamig::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(datamig::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(datamig::sha256_hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");  // again, after "abc"
    CHECK(datamig::sha256_hex(std::string(1000, 'a')) ==
          "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_CASE("checksums do not depend on BOM or line ends", "[file_text]") {
    const std::string unix_text = "-- migrate:up\nSELECT 1;\n";
    const std::string windows_text = "\xEF\xBB\xBF-- migrate:up\r\nSELECT 1;\r\n";
    CHECK(datamig::sha256_hex(datamig::normalize_text(windows_text)) ==
          datamig::sha256_hex(datamig::normalize_text(unix_text)));
    CHECK(datamig::sha256_hex(datamig::normalize_text(unix_text)) !=
          datamig::sha256_hex(datamig::normalize_text("-- migrate:up\nSELECT 2;\n")));
}

TEST_CASE("is_valid_utf8 rejects malformed sequences and names the line", "[file_text]") {
    int line = 0;
    CHECK(datamig::is_valid_utf8("plain ASCII\n", line));
    CHECK(datamig::is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF", line));
    CHECK(datamig::is_valid_utf8("", line));
    CHECK(datamig::is_valid_utf8("UPDATE users SET name = 'caf\xC3\xA9 cr\xC3\xA8me' WHERE id < 12345678;\n", line));

    struct Case {
        std::string text;
        int line;
    };
    for (const Case& bad : std::vector<Case>{
             {"a\nb\n\xFF", 3},        // never valid
             {"\xC3", 1},              // truncated
             {"\xC3(", 1},             // bad continuation
             {"\x80", 1},              // lone continuation
             {"\xC0\xAF", 1},          // overlong '/'
             {"\xE0\x80\xAF", 1},      // overlong 3-byte
             {"\xF0\x80\x80\xAF", 1},  // overlong 4-byte
             {"x\n\xED\xA0\x80", 2},   // UTF-16 surrogate
             {"\xF4\x90\x80\x80", 1},  // above U+10FFFF
             {"\xF5\x80\x80\x80", 1},
             {"ok\n\xC3\xA9\nthen \xE2\x82", 3},                        // truncated at the end
             {"SELECT 1;\nSELECT 2;\nSELECT 'caf\xE9 au lait';\n", 3},  // after ASCII read eight bytes at a time
         }) {
        INFO(bad.text);
        CHECK_FALSE(datamig::is_valid_utf8(bad.text, line));
        CHECK(line == bad.line);
    }
}
