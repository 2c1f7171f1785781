// A growable byte buffer that does not zero what it allocates: a block
// buffer sized from a hostile uncompressBufSize then costs address space,
// not memory, until inflate actually writes to it.
#pragma once

#include <cstdint>
#include <memory>

namespace bwl {

class ByteBuffer {
public:
    uint8_t* data() { return p_.get(); }
    const uint8_t* data() const { return p_.get(); }
    uint64_t capacity() const { return cap_; }

    // At least n bytes (old contents are not kept). A buffer grown past
    // kKeep for one odd block is given back when a normal one follows.
    void reserve(uint64_t n) {
        if (n > cap_ || (cap_ > kKeep && n <= kKeep)) {
            p_.reset(new uint8_t[n]);  // default-initialised: not zeroed
            cap_ = n;
        }
    }

private:
    static constexpr uint64_t kKeep = uint64_t(64) << 20;
    std::unique_ptr<uint8_t[]> p_;
    uint64_t cap_ = 0;
};

}  // namespace bwl
