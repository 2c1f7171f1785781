// autoSql, the schema text a bigBed carries for its fields: the column
// list parsed out of it, and the standard BED definition UCSC's bedAsDef
// writes when a bedToBigBed run gives no .as file.
#pragma once

#include <string>
#include <vector>

namespace bwl {

constexpr int kBedKnownFields = 15;  // bedKnownFields: chrom .. expScores

struct AsColumn {
    std::string type;  // the base type: "uint", "string", "char", "float", "enum", ...
    std::string name;
    bool list = false;  // type[size] or type[linkedField]
};

// The columns of a `table` (or `simple`/`object`) declaration, in order.
// Throws FormatError naming `label` for text that is not autoSql.
std::vector<AsColumn> parse_autosql(const std::string& text, const std::string& label);

// bedAsDef: the standard BED table of `bed_n` fields (3..15) plus
// `total - bed_n` extra lstring fields named field<k>.
std::string bed_autosql(int bed_n, int total);

// The standard name of BED column i (0-based, < 15). Column 8 is
// "reserved" in UCSC's definition and "itemRgb" in most .as files.
const char* bed_column_name(int i);

}  // namespace bwl
