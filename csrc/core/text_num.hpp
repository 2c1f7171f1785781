// Numbers in the text formats the tools read (BED, bedGraph, wiggle).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bwl {

// A whole field as a base-10 integer (an optional '+' or '-'); false when
// the field is anything else or out of range.
inline bool to_int(std::string_view s, int64_t* v) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// A comma-separated integer list as BED writes it ("1,2,3," or "1,2,3");
// false when an element is not an integer.
inline bool to_int_list(std::string_view s, std::vector<int64_t>* out) {
    out->clear();
    while (!s.empty()) {
        size_t comma = s.find(',');
        int64_t v;
        if (!to_int(s.substr(0, comma), &v)) return false;
        out->push_back(v);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return true;
}

}  // namespace bwl
