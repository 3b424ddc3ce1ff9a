// burst.cc — the read and write loops behind readBurst, writeBurst and Poller.
// See burst.h. No frame is inspected: bytes go in and out as they are.

#include "burst.h"

#include <errno.h>
#include <unistd.h>

namespace wasagi {

bool RxRegionFits(const RxRegion& r, size_t byteLength) {
  const uint64_t len = byteLength;
  if (r.maxSlots == 0) return true;  // nothing will be touched
  // Last slot ends at slotBase + maxSlots*slotSize.
  const uint64_t slotsEnd =
      static_cast<uint64_t>(r.slotBase) + static_cast<uint64_t>(r.maxSlots) * r.slotSize;
  // Last length word ends at lenBase + (maxSlots-1)*lenStride + 4.
  const uint64_t lensEnd = static_cast<uint64_t>(r.lenBase) +
                           static_cast<uint64_t>(r.maxSlots - 1) * r.lenStride + 4;
  return slotsEnd <= len && lensEnd <= len;
}

BurstResult ReadBurst(int fd, uint8_t* base, const RxRegion& r) {
  BurstResult res{0, 0};
  while (res.frames < r.maxSlots) {
    uint8_t* slot = base + r.slotBase + static_cast<size_t>(res.frames) * r.slotSize;
    ssize_t got = read(fd, slot, r.slotSize);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) res.err = errno;
      break;
    }
    // A frame longer than the slot is cut to slotSize bytes and the rest is
    // lost (read() reports the bytes copied). The clamp is belt and braces:
    // whatever a kernel returns, the caller is never told to look past its
    // slot. With slotSize > the largest frame, len == slotSize means "cut".
    uint32_t len = static_cast<uint64_t>(got) > r.slotSize ? r.slotSize
                                                           : static_cast<uint32_t>(got);
    StoreU32Le(base + r.lenBase + static_cast<size_t>(res.frames) * r.lenStride, len);
    res.frames++;
  }
  return res;
}

BurstResult WriteBurst(int fd, uint8_t* base, size_t byteLength, uint32_t iovBase, uint32_t n) {
  BurstResult res{0, 0};
  const uint64_t len = byteLength;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t* entry = base + iovBase + static_cast<size_t>(i) * 8;
    const uint64_t off = LoadU32Le(entry);
    const uint64_t flen = LoadU32Le(entry + 4);
    if (flen == 0 || off + flen > len) continue;  // bad entry: not written
    ssize_t put;
    do {
      put = write(fd, base + off, static_cast<size_t>(flen));
    } while (put < 0 && errno == EINTR);
    if (put >= 0) {
      res.frames++;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // queue full: rest dropped
    if (errno == EBADF || errno == EBADFD) {             // no device behind the fd
      res.err = errno;
      break;
    }
    // Anything else (EINVAL for a malformed frame, EIO, ...) drops this frame only.
  }
  return res;
}

}  // namespace wasagi
