// burst.h — moving whole frames between a tun/tap fd and a byte region.
//
// Pure system-call loops with no JavaScript in them: readBurst, writeBurst and
// the Poller's readiness callback all share these. A tun/tap fd hands over
// exactly one frame per read() and takes exactly one frame per write(), so a
// burst is a loop of single reads or writes. Nothing here looks inside a frame.

#ifndef WASAGI_NATIVE_BURST_H_
#define WASAGI_NATIVE_BURST_H_

#include <cstddef>
#include <cstdint>

namespace wasagi {

// Where a receive burst lands. Frame i goes to [slotBase + i*slotSize,
// + slotSize) and its length, as a little-endian u32, to lenBase + i*lenStride.
struct RxRegion {
  uint32_t slotBase;
  uint32_t slotSize;
  uint32_t maxSlots;
  uint32_t lenBase;
  uint32_t lenStride;
};

// True if every slot and every length word of `r` lies inside a buffer of
// `byteLength` bytes. Computed in 64 bits, so no offset can wrap around.
bool RxRegionFits(const RxRegion& r, size_t byteLength);

// The outcome of a burst: how many frames moved, and the errno that ended it
// early (0 if it ended on EAGAIN or ran to completion).
struct BurstResult {
  uint32_t frames;
  int err;
};

// Reads up to r.maxSlots frames from `fd` into `base` (a buffer for which
// RxRegionFits holds). Stops on EAGAIN; retries EINTR; stops at the first
// other error and returns it in `err` together with the frames already read.
// A frame longer than slotSize is cut by the kernel (the rest is discarded);
// a stored length never exceeds slotSize.
BurstResult ReadBurst(int fd, uint8_t* base, const RxRegion& r);

// Writes the `n` frames described by the iov table at base + iovBase (n
// entries of {u32 LE offset, u32 LE length}; the table itself must lie inside
// the buffer). An entry that is empty or reaches outside `byteLength` is
// skipped. EINTR is retried; EAGAIN ends the burst. EBADF/EBADFD (the fd is
// not open, or its device is gone) end the burst and are returned in `err`;
// any other error drops just that frame.
BurstResult WriteBurst(int fd, uint8_t* base, size_t byteLength, uint32_t iovBase, uint32_t n);

// Little-endian u32 load/store at any alignment.
inline uint32_t LoadU32Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline void StoreU32Le(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace wasagi

#endif  // WASAGI_NATIVE_BURST_H_
