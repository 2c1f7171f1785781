// Numbers in the text formats the tools read (BED, bedGraph, wiggle).
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

namespace bwl {

// A whole field as a base-10 integer (an optional '+' or '-'); false when
// the field is anything else or out of range.
inline bool to_int(std::string_view s, int64_t* v) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace bwl
