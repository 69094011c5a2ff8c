// The false-alarm corpus (tests/corpus/): realistic data migrations, each stating on its first
// lines what `check` should find in it, read by the real loader (load_migration). A header is
//   -- expect: none                        or  -- expect: update-without-where@7 ddl-statement@3
//   -- known: false-alarm CODE@LINE (why)  a finding the tool makes that a reviewer would not
//   -- known: missed CODE@LINE (why)       one a reviewer wants that the tool does not make
//   -- note: ...                           anything else
// A difference from `expect` fails the test unless a `known` line records it; the tally printed
// counts right findings, wrong ones (false alarms) and missed ones, known ones included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/file_text.hpp"
#include "datamig/migration.hpp"

namespace fs = std::filesystem;

namespace {

using FindingSet = std::multiset<std::string>;  // "code@line"

struct Header {
    FindingSet expected;
    FindingSet false_alarms;  // known ones
    FindingSet missed;        // known ones
};

FindingSet words(const std::string& text) {
    std::istringstream in(text);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

Header read_header(const std::string& text) {
    Header header;
    bool expect_given = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line) && starts_with(line, "-- ");) {
        if (starts_with(line, "-- expect:")) {
            expect_given = true;
            header.expected = words(line.substr(10));
            header.expected.erase("none");
        } else if (starts_with(line, "-- known:")) {
            const FindingSet known = words(line.substr(9, line.find(" (") - 9));
            REQUIRE(known.size() == 2);
            const bool alarm = known.count("false-alarm") == 1;
            REQUIRE((alarm || known.count("missed") == 1));
            for (const auto& word : known) {
                if (word != "false-alarm" && word != "missed")
                    (alarm ? header.false_alarms : header.missed).insert(word);
            }
        }
    }
    REQUIRE(expect_given);
    return header;
}

FindingSet difference(const FindingSet& a, const FindingSet& b) {
    FindingSet result;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(result, result.end()));
    return result;
}

FindingSet intersection(const FindingSet& a, const FindingSet& b) {
    FindingSet result;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(result, result.end()));
    return result;
}

std::string code_of(const std::string& finding) { return finding.substr(0, finding.find('@')); }

struct Tally {
    int right = 0;
    int wrong = 0;
    int missed = 0;
};

fs::path corpus_dir() { return fs::path(__FILE__).parent_path().parent_path() / "corpus"; }

}  // namespace

TEST_CASE("the false-alarm corpus: check finds what each file expects", "[corpus]") {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(corpus_dir())) {
        if (entry.path().extension() == ".sql") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    REQUIRE(paths.size() >= 40);

    std::map<std::string, Tally> tally;  // by code
    int files_expecting_none = 0;
    for (const fs::path& path : paths) {
        INFO(path.filename().string());
        std::ifstream in(path, std::ios::binary);
        std::ostringstream raw;
        raw << in.rdbuf();
        const std::string text = datamig::normalize_text(raw.str());
        const Header header = read_header(text);
        files_expecting_none += header.expected.empty() ? 1 : 0;

        datamig::MigrationFile file;
        file.version = path.filename().string().substr(0, 14);
        file.name = path.stem().string().substr(15);
        file.phase = "corpus";
        file.path = path.string();
        const auto loaded = datamig::load_migration(file, datamig::Load::findings);
        FindingSet found;
        for (const auto& finding : loaded.findings) {
            CHECK(finding.severity == datamig::Severity::warning);  // every corpus file is a valid migration
            CHECK(finding.file == path.string());
            found.insert(finding.code + "@" + std::to_string(finding.line));
        }

        const FindingSet wrong = difference(found, header.expected);
        const FindingSet missed = difference(header.expected, found);
        CHECK(wrong == header.false_alarms);
        CHECK(missed == header.missed);
        for (const auto& finding : intersection(found, header.expected)) ++tally[code_of(finding)].right;
        for (const auto& finding : wrong) ++tally[code_of(finding)].wrong;
        for (const auto& finding : missed) ++tally[code_of(finding)].missed;
    }

    Tally where;
    std::ostringstream report;
    report << "corpus: " << paths.size() << " files (" << files_expecting_none << " expecting no finding)\n";
    for (const auto& [code, counts] : tally) {
        report << "  " << code << ": " << counts.right << " right, " << counts.wrong << " wrong (false alarms), "
               << counts.missed << " missed\n";
        if (code == "update-without-where" || code == "delete-without-where") {
            where.right += counts.right;
            where.wrong += counts.wrong;
            where.missed += counts.missed;
        }
    }
    report << "  without WHERE, both codes: " << where.right << " right, " << where.wrong << " wrong (false alarms), "
           << where.missed << " missed\n";
    std::cout << report.str();
}
