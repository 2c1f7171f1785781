// libFuzzer target: bwl's CPU inflate (BlockInflater: the fast loop over the
// shared tables) against zlib, on arbitrary bytes. The first two input
// bytes choose the output capacity and the stop steps; the rest is the
// stream. zlib decides: where it inflates the stream, ours must give the
// same bytes; where it fails, ours must throw FormatError; every prefix is
// zlib's. The same holds for two streams in turn and for a stream resumed
// from its points. Build and run with tests/fuzz/run_inflate_fuzz.sh (clang,
// ASan + UBSan); a crash, an ASan report or a mismatch (abort) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bwl/error.hpp"
#include "core/block_inflater.hpp"
#include "core/inflate.hpp"
#include "zlib_ref.hpp"

namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "MISMATCH: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t cap = 1 + size_t(data[0]) * 257;  // 1 .. 65,536
    const uint64_t step = 1 + uint64_t(data[1]) * 64;
    data += 2;
    size -= 2;
    std::vector<uint8_t> ref;
    bool ok_ref = inflate_zlib_ref(data, size, cap, &ref);

    std::vector<uint8_t> out(cap + 64, 0xAB);  // bytes past cap must survive
    bwl::BlockInflater inf;
    bool ok = true;
    try {
        inf.begin(data, size, out.data(), cap);
        for (uint64_t stop = step; !inf.done(); stop += step) {
            uint64_t got = inf.extend(stop);
            require(got <= cap, "size past capacity");
            // A prefix zlib also produced (when zlib got that far) is the same.
            uint64_t k = got < ref.size() ? got : ref.size();
            require(std::memcmp(out.data(), ref.data(), k) == 0, "prefix differs from zlib");
        }
    } catch (const bwl::FormatError&) {
        ok = false;
    }
    for (size_t i = cap; i < out.size(); ++i) require(out[i] == 0xAB, "wrote past capacity");
    require(ok == ok_ref, ok ? "accepted a stream zlib rejects" : "rejected a stream zlib accepts");
    if (ok) require(inf.size() == ref.size() && std::memcmp(out.data(), ref.data(), ref.size()) == 0, "output differs");

    // Paired (extend_pair, as the batch engine runs the block it reads next):
    // the same stream in both lanes, at different steps, each judged as above.
    std::vector<uint8_t> pa(cap + 64, 0xAB), pb(cap + 64, 0xAB);
    bwl::BlockInflater a, b;
    bool ok_a = true, ok_b = false, began_b = false;
    try {
        a.begin(data, size, pa.data(), cap);
        b.begin(data, size, pb.data(), cap);
        began_b = true;
        uint64_t sa = step, sb = 1 + step / 2;
        while (!a.done()) {
            bwl::BlockInflater::extend_pair(a, sa, b, sb);
            sa += step;
            sb += step / 2 + 1;
        }
    } catch (const bwl::FormatError&) {
        ok_a = false;
    }
    try {
        if (began_b) ok_b = b.extend(~uint64_t(0)) <= cap && b.done();  // the rest of b, alone
    } catch (const bwl::FormatError&) {
        ok_b = false;
    }
    require(ok_a == ok_ref && ok_b == ok_ref, "paired lanes disagree with zlib");
    for (auto* o : {&pa, &pb}) {
        for (size_t i = cap; i < o->size(); ++i) require((*o)[i] == 0xAB, "paired lane wrote past capacity");
    }
    if (ok_ref)
        require(a.size() == ref.size() && b.size() == ref.size() &&
                    std::memcmp(pa.data(), ref.data(), ref.size()) == 0 &&
                    std::memcmp(pb.data(), ref.data(), ref.size()) == 0,
                "paired output differs");

    // Resumed (as the decoded cache inflates a cached prefix on): every
    // `step` bytes a fresh decoder takes over from the last one's point
    // (BlockInflater::point), the prefix copied into a fresh buffer; judged
    // as above.
    std::vector<uint8_t> ra(cap + 64, 0xAB), rb(cap + 64, 0xAB);
    std::vector<uint8_t>*cur = &ra, *nxt = &rb;
    bool ok_r = true;
    uint64_t rgot = 0;
    try {
        bwl::BlockInflater first;
        first.begin(data, size, ra.data(), cap);
        rgot = first.extend(step);
        bool done = first.done();
        bwl::InflatePoint pt = first.point();
        while (!done) {
            require(pt.valid && pt.out_pos == rgot, "no point to resume from");
            std::memcpy(nxt->data(), cur->data(), rgot);
            bwl::BlockInflater r;
            r.resume(data, size, nxt->data(), cap, pt);
            rgot = r.extend(rgot + step);
            done = r.done();
            pt = r.point();
            std::swap(cur, nxt);
            uint64_t k = rgot < ref.size() ? rgot : ref.size();
            require(std::memcmp(cur->data(), ref.data(), k) == 0, "resumed prefix differs from zlib");
        }
    } catch (const bwl::FormatError&) {
        ok_r = false;
    }
    require(ok_r == ok_ref,
            ok_r ? "resumed lane accepted a stream zlib rejects" : "resumed lane rejected a stream zlib accepts");
    for (auto* o : {&ra, &rb}) {
        for (size_t i = cap; i < o->size(); ++i) require((*o)[i] == 0xAB, "resumed lane wrote past capacity");
    }
    if (ok_ref)
        require(rgot == ref.size() && std::memcmp(cur->data(), ref.data(), ref.size()) == 0, "resumed output differs");
    return 0;
}
