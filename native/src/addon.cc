// addon.cc — wasagi_native, the TUN/TAP addon of wasagi.
//
// wasagi is a userspace IPv6 stack whose packet path runs in WebAssembly. This
// addon is its only contact with a real network device, and it does only the
// parts JavaScript cannot:
//
//   openTun(opts) → { fd, name, ifindex, mtu }   open and configure a tun/tap fd
//   readBurst(fd, memory, slotBase, slotSize, maxSlots, lenBase, lenStride) → n
//   writeBurst(fd, memory, iovBase, n) → written
//   new Poller(fd, memory, ..., onFrames[, onError])   readiness on the main loop
//   close(fd)
//   constants { IFF_TAP, IFF_TUN, IFF_NO_PI }
//
// `memory` is a WebAssembly.Memory's buffer; frames are read into and written
// from offsets the caller chooses (the stack's memory map), so a frame never
// passes through a JavaScript object. The addon PARSES NOTHING: it does not
// look at Ethernet, IP or any other header, it only moves whole frames and
// reports lengths. Every offset is bounds-checked against the buffer before
// any byte is touched.
//
// Linux only (/dev/net/tun). No threads: readiness comes from a uv_poll_t on
// the Node main loop.

#include <napi.h>

#include <linux/if_tun.h>

#include <string>

#include "burst.h"
#include "errors.h"
#include "poller.h"
#include "tun.h"

namespace wasagi {

namespace {

// readBurst(fd, memory, slotBase, slotSize, maxSlots, lenBase, lenStride) → n
// Reads up to maxSlots frames without blocking; see burst.h. If a read fails
// after some frames were read, those frames are returned and the error is
// left to the next call (which meets it straight away).
Napi::Value ReadBurstJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  Napi::ArrayBuffer memory;
  RxRegion r{};
  if (!ReadFd(env, info[0], &fd)) return env.Undefined();
  if (!ReadArrayBuffer(env, info[1], "readBurst: memory", &memory)) return env.Undefined();
  if (!ReadU32(env, info[2], "readBurst: slotBase", &r.slotBase)) return env.Undefined();
  if (!ReadU32(env, info[3], "readBurst: slotSize", &r.slotSize)) return env.Undefined();
  if (!ReadU32(env, info[4], "readBurst: maxSlots", &r.maxSlots)) return env.Undefined();
  if (!ReadU32(env, info[5], "readBurst: lenBase", &r.lenBase)) return env.Undefined();
  if (!ReadU32(env, info[6], "readBurst: lenStride", &r.lenStride)) return env.Undefined();
  if (r.slotSize == 0 || r.lenStride < 4) {
    MakeRangeError(env, "readBurst: slotSize must be at least 1 and lenStride at least 4")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t byteLength = memory.ByteLength();
  if (!RxRegionFits(r, byteLength)) {
    MakeRangeError(env, "readBurst: the receive region (slots and length words) does not fit "
                        "in memory of " + std::to_string(byteLength) + " bytes")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (r.maxSlots == 0) return Napi::Number::New(env, 0);

  BurstResult res = ReadBurst(fd, static_cast<uint8_t*>(memory.Data()), r);
  if (res.err != 0 && res.frames == 0) {
    MakeSysError(env, kErrSyscall, res.err, "read",
                 "readBurst: read from fd " + std::to_string(fd) + " failed")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, res.frames);
}

// writeBurst(fd, memory, iovBase, n) → written
// Writes the frames of an iov table ({u32 LE offset, u32 LE length} × n);
// see burst.h. The table must lie inside memory (else ERR_INVALID_ARG); a bad
// entry only costs its own frame. EBADF/EBADFD with nothing written throws.
Napi::Value WriteBurstJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  Napi::ArrayBuffer memory;
  uint32_t iovBase, n;
  if (!ReadFd(env, info[0], &fd)) return env.Undefined();
  if (!ReadArrayBuffer(env, info[1], "writeBurst: memory", &memory)) return env.Undefined();
  if (!ReadU32(env, info[2], "writeBurst: iovBase", &iovBase)) return env.Undefined();
  if (!ReadU32(env, info[3], "writeBurst: n", &n)) return env.Undefined();
  const size_t byteLength = memory.ByteLength();
  if (static_cast<uint64_t>(iovBase) + static_cast<uint64_t>(n) * 8 > byteLength) {
    MakeRangeError(env, "writeBurst: the iov table (" + std::to_string(n) + " entries at " +
                            std::to_string(iovBase) + ") does not fit in memory of " +
                            std::to_string(byteLength) + " bytes")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (n == 0) return Napi::Number::New(env, 0);

  BurstResult res =
      WriteBurst(fd, static_cast<uint8_t*>(memory.Data()), byteLength, iovBase, n);
  if (res.err != 0 && res.frames == 0) {
    MakeSysError(env, kErrSyscall, res.err, "write",
                 "writeBurst: write to fd " + std::to_string(fd) + " failed")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, res.frames);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitPollerRegistry(env);

  exports.Set("openTun", Napi::Function::New(env, OpenTun, "openTun"));
  exports.Set("readBurst", Napi::Function::New(env, ReadBurstJs, "readBurst"));
  exports.Set("writeBurst", Napi::Function::New(env, WriteBurstJs, "writeBurst"));
  exports.Set("close", Napi::Function::New(env, CloseFd, "close"));
  exports.Set("Poller", Poller::DefineClass(env));

  // For information (and logging): the TUNSETIFF flags openTun uses.
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("IFF_TAP", Napi::Number::New(env, IFF_TAP));
  constants.Set("IFF_TUN", Napi::Number::New(env, IFF_TUN));
  constants.Set("IFF_NO_PI", Napi::Number::New(env, IFF_NO_PI));
  constants.Freeze();
  exports.Set("constants", constants);
  return exports;
}

}  // namespace wasagi

// NODE_API_MODULE pastes its second argument into a name, so it must be a
// plain identifier.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return wasagi::Init(env, exports);
}

NODE_API_MODULE(wasagi_native, InitModule)
