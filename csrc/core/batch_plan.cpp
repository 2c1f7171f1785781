// Planning a CPU batch: candidate blocks per window, then tasks (batch_plan.hpp).
#include "core/batch_plan.hpp"

#include <algorithm>
#include <string>

#include "bwl/error.hpp"
#include "core/block_select.hpp"
#include "core/collection_impl.hpp"

namespace bwl {

BatchPlan::BatchPlan(const Collection& c, const BatchSpec& s, ThreadPool& pool) : e_(c.impl()), s_(s) {
    validate_batch(c, s);
    T_ = s.tracks ? s.n_tracks : c.size();
    groups_ = s.reverse && s.reverse_tracks ? 2 * T_ : T_;
    ranges_.assign(groups_, {});
    std::vector<std::vector<Task>> tasks(groups_);
    std::vector<std::vector<Unread>> unread(groups_);
    pool.parallel_for(groups_, [&](size_t g) {
        select_ranges(g, unread[g]);
        make_tasks(g, tasks[g]);
    });
    for (size_t g = 0; g < groups_; ++g) {
        tasks_.insert(tasks_.end(), tasks[g].begin(), tasks[g].end());
        unread_.insert(unread_.end(), unread[g].begin(), unread[g].end());
    }
}

uint32_t BatchPlan::last_block(const Task& task) const {
    uint32_t last = 0;
    for (uint32_t i = task.begin; i < task.end; ++i) last = std::max(last, ranges_[task.group][i].last);
    return last;
}

// Each window of group g: its candidate blocks, or, when it has none, an Unread.
void BatchPlan::select_ranges(size_t g, std::vector<Unread>& unread) {
    uint32_t f = file_of_group(g), slot = uint32_t(g % T_);
    const BbiFile& file = e_.file(f);
    auto& rs = ranges_[g];
    for (size_t b = 0; b < s_.batch; ++b) {
        if (!in_group(g, b)) continue;
        BlockRun run = select_blocks(file, e_.file_chrom(f, s_.chrom[b]), window_span(s_.start[b], s_.length));
        if (run.empty()) unread.push_back({uint32_t(b), slot, f});
        else rs.push_back({run.first, run.last, uint32_t(b)});
    }
}

// Components: group g's ranges by chrom, merged where they share a block.
void BatchPlan::make_tasks(size_t g, std::vector<Task>& out) {
    uint32_t f = file_of_group(g), slot = uint32_t(g % T_);
    auto& rs = ranges_[g];
    std::sort(rs.begin(), rs.end(), [&](const Range& a, const Range& b) {
        uint32_t ca = s_.chrom[a.window], cb = s_.chrom[b.window];
        return ca != cb ? ca < cb : a.first != b.first ? a.first < b.first : a.window < b.window;
    });
    for (uint32_t i = 0; i < rs.size();) {
        uint32_t chrom = s_.chrom[rs[i].window], j = i + 1, reach = rs[i].last;
        while (j < rs.size() && s_.chrom[rs[j].window] == chrom && rs[j].first < reach) {
            reach = std::max(reach, rs[j].last);
            ++j;
        }
        out.push_back({slot, uint32_t(g), f, uint32_t(e_.file_chrom(f, chrom)), i, j});
        i = j;
    }
}

void validate_batch(const Collection& c, const BatchSpec& s) {
    if (s.length == 0) throw RangeError("window length must be > 0");
    if (s.window == 0 || s.length % s.window != 0)
        throw RangeError("length " + std::to_string(s.length) + " is not a multiple of window " +
                         std::to_string(s.window));
    if (s.tracks)
        for (size_t t = 0; t < s.n_tracks; ++t)
            if (s.tracks[t] >= c.size())
                throw RangeError("track index " + std::to_string(s.tracks[t]) + " out of range (" +
                                 std::to_string(c.size()) + " tracks)");
    if (s.reverse && s.reverse_tracks)
        for (size_t t = 0; t < (s.tracks ? s.n_tracks : c.size()); ++t)
            if (s.reverse_tracks[t] >= c.size())
                throw RangeError("reverse track index " + std::to_string(s.reverse_tracks[t]) + " out of range (" +
                                 std::to_string(c.size()) + " tracks)");
    const auto& names = c.chrom_names();
    for (size_t b = 0; b < s.batch; ++b) {
        if (s.chrom[b] >= names.size())
            throw RangeError("window " + std::to_string(b) + ": chrom index " + std::to_string(s.chrom[b]) +
                             " out of range");
        uint64_t size = c.chrom_sizes()[s.chrom[b]];
        if (s.pad) {
            if (s.start[b] < -(int64_t(1) << 62) ||
                s.start[b] > (int64_t(1) << 62))  // far beyond any genome: overflow guard
                throw RangeError("window " + std::to_string(b) + ": start " + std::to_string(s.start[b]) +
                                 " is out of range");
            continue;
        }
        if (s.start[b] < 0 || uint64_t(s.start[b]) + s.length > size)
            throw RangeError("window " + std::to_string(b) + ": " + names[s.chrom[b]] + ":" +
                             std::to_string(s.start[b]) + "-" + std::to_string(s.start[b] + int64_t(s.length)) +
                             " is outside the chromosome (size " + std::to_string(size) + ")");
    }
}

}  // namespace bwl
