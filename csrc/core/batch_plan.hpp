// The plan of one CPU batch: per group (an output track slot, or a slot's
// reversed windows reading its strand partner), each window's candidate
// blocks, chosen by core/block_select.hpp (as the GPU plan chooses them:
// cuda/plan.cpp); then the tasks: a group's windows on one chromosome whose
// candidate blocks chain together. A task is read by one thread, so every
// block is read and inflated once per batch and every output row is
// written by exactly one thread. Internal to csrc/core (core/batch.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/collection.hpp"
#include "core/thread_pool.hpp"

namespace bwl {

struct Range {
    uint32_t first, last;  // candidate blocks [first, last) of the window's chrom
    uint32_t window;
};

struct Task {
    uint32_t slot;        // position in the batch's track list
    uint32_t group;       // planning group: BatchPlan::ranges(group)
    uint32_t file;        // the track its windows read
    uint32_t file_chrom;  // chrom position in that file
    uint32_t begin, end;  // its windows: ranges(group)[begin, end), sorted by first
};

// A window no block of its track touches: its row is written whole (the
// default; a bigBed track's coverage 0).
struct Unread {
    uint32_t window, slot, file;
};

// Throws RangeError unless every window of the spec lies inside its
// chromosome (or the spec pads), L is a multiple of the window and the
// track indices exist. The CPU plan and the GPU plan both check so.
void validate_batch(const Collection& c, const BatchSpec& s);

class BatchPlan {
public:
    // Checks the spec (validate_batch) and plans it on the pool.
    BatchPlan(const Collection& c, const BatchSpec& s, ThreadPool& pool);

    size_t slots() const { return T_; }  // output tracks
    bool reversed(size_t b) const { return s_.reverse && s_.reverse[b]; }
    const std::vector<Task>& tasks() const { return tasks_; }
    const std::vector<Range>& ranges(uint32_t group) const { return ranges_[group]; }
    const std::vector<Unread>& unread() const { return unread_; }
    // One past the last block any window of the task reads.
    uint32_t last_block(const Task& task) const;

private:
    uint32_t file_of(size_t slot) const { return s_.tracks ? s_.tracks[slot] : uint32_t(slot); }
    // Group g plans the windows of slot g % T_ that read file_of_group(g).
    uint32_t file_of_group(size_t g) const { return g < T_ ? file_of(g) : s_.reverse_tracks[g - T_]; }
    bool in_group(size_t g, size_t b) const { return groups_ == T_ || (g >= T_) == reversed(b); }
    void select_ranges(size_t g, std::vector<Unread>& unread);
    void make_tasks(size_t g, std::vector<Task>& out);

    const Collection::Impl& e_;
    const BatchSpec& s_;
    size_t T_ = 0, groups_ = 0;
    std::vector<std::vector<Range>> ranges_;
    std::vector<Task> tasks_;
    std::vector<Unread> unread_;
};

}  // namespace bwl
