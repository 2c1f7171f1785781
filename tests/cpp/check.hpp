// Minimal test harness: CHECK records failures, main returns their count.
#pragma once
#include <cstdio>

inline int g_failures = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                                 \
        }                                                                                 \
    } while (0)

// Expects `stmt` to throw exception type E.
#define CHECK_THROWS(E, stmt)                                                                     \
    do {                                                                                          \
        bool thrown_ = false;                                                                     \
        try {                                                                                     \
            stmt;                                                                                 \
        } catch (const E&) {                                                                      \
            thrown_ = true;                                                                       \
        }                                                                                         \
        if (!thrown_) {                                                                           \
            std::fprintf(stderr, "%s:%d: expected %s from: %s\n", __FILE__, __LINE__, #E, #stmt); \
            ++g_failures;                                                                         \
        }                                                                                         \
    } while (0)

#define TEST_MAIN_END()                                \
    std::printf("%s\n", g_failures ? "FAILED" : "OK"); \
    return g_failures ? 1 : 0
