// autoSql: see autosql.hpp. The grammar (UCSC's asParse.c), as far as a
// column list needs it:
//   table|simple|object NAME "comment" ( TYPE[SIZE] NAME [primary|auto|...]; "comment" ... )
// where TYPE may be enum(...) or set(...), and comments are quoted strings.
#include "core/autosql.hpp"

#include <cctype>

#include "bwl/error.hpp"

namespace bwl {

namespace {

const char* const kBedNames[kBedKnownFields] = {"chrom",      "chromStart",  "chromEnd", "name",     "score",
                                                "strand",     "thickStart",  "thickEnd", "reserved", "blockCount",
                                                "blockSizes", "chromStarts", "expCount", "expIds",   "expScores"};

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

const char* bed_column_name(int i) { return kBedNames[i]; }

std::vector<AsColumn> parse_autosql(const std::string& text, const std::string& label) {
    auto fail = [&](const std::string& what) -> FormatError {
        return FormatError(label + ": not an autoSql table: " + what);
    };
    // Comments out: quoted strings become spaces (they may hold ';' or '(').
    std::string s = text;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '"') continue;
        size_t j = s.find('"', i + 1);
        if (j == std::string::npos) throw fail("a quoted comment has no end");
        for (size_t k = i; k <= j; ++k) s[k] = ' ';
        i = j;
    }
    size_t open = s.find('('), close = s.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        throw fail("no parenthesised column list");
    std::vector<AsColumn> cols;
    size_t i = open + 1;
    auto skip_space = [&] {
        while (i < close && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    };
    for (;;) {
        skip_space();
        if (i >= close) break;
        AsColumn c;
        size_t t = i;
        while (i < close && is_word(s[i])) ++i;
        c.type = s.substr(t, i - t);
        if (c.type.empty()) throw fail("expected a column type at '" + s.substr(t, 20) + "'");
        skip_space();
        if (i < close && (s[i] == '[' || s[i] == '(')) {  // type[size], enum(...), set(...)
            char want = s[i] == '[' ? ']' : ')';
            c.list = s[i] == '[';
            size_t e = s.find(want, i);
            if (e == std::string::npos || e > close) throw fail("column type '" + c.type + "' has no closing " + want);
            i = e + 1;
            skip_space();
        }
        size_t n = i;
        while (i < close && is_word(s[i])) ++i;
        c.name = s.substr(n, i - n);
        if (c.name.empty()) throw fail("column of type '" + c.type + "' has no name");
        size_t semi = s.find(';', i);  // index modifiers (primary, auto, ...) up to the ';'
        if (semi == std::string::npos || semi > close) throw fail("column '" + c.name + "' has no ';'");
        i = semi + 1;
        cols.push_back(std::move(c));
    }
    if (cols.empty()) throw fail("no columns");
    return cols;
}

std::string bed_autosql(int bed_n, int total) {
    static const char* const kLines[kBedKnownFields] = {
        "   string chrom;       \"Reference sequence chromosome or scaffold\"\n",
        "   uint   chromStart;  \"Start position in chromosome\"\n",
        "   uint   chromEnd;    \"End position in chromosome\"\n",
        "   string name;        \"Name of item.\"\n",
        "   uint score;          \"Score (0-1000)\"\n",
        "   char[1] strand;     \"+ or - for strand\"\n",
        "   uint thickStart;   \"Start of where display should be thick (start codon)\"\n",
        "   uint thickEnd;     \"End of where display should be thick (stop codon)\"\n",
        "   uint reserved;     \"Used as itemRgb as of 2004-11-22\"\n",
        "   int blockCount;    \"Number of blocks\"\n",
        "   int[blockCount] blockSizes; \"Comma separated list of block sizes\"\n",
        "   int[blockCount] chromStarts; \"Start positions relative to chromStart\"\n",
        "   int expCount;\t\"Experiment count\"\n",
        "   int[expCount] expIds;\t\"Comma separated list of experiment ids. Always 0,1,2,3....\"\n",
        "   float[expCount] expScores; \"Comma separated list of experiment scores.\"\n"};
    std::string out = "table bed\n\"Browser Extensible Data\"\n   (\n";
    for (int i = 0; i < bed_n; ++i) out += kLines[i];
    for (int i = bed_n + 1; i <= total; ++i)
        out += "lstring field" + std::to_string(i + 1) + ";\t\"Undocumented field\"\n";
    return out + "   )\n";
}

}  // namespace bwl
