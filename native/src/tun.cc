// tun.cc — openTun and close. See tun.h.
//
// Error mapping (the `code` property), in the order a call can meet them:
//   ERR_INVALID_ARG    bad option types, name too long / not a valid
//                      interface name, mtu outside 68..65535
//   ERR_TUN_NOT_FOUND  create:false and if_nametoindex(name) finds nothing
//   ERR_TUN_NO_DEVICE  open(/dev/net/tun) gave ENOENT/ENODEV/ENXIO
//   ERR_TUN_PERMISSION EPERM/EACCES anywhere: CAP_NET_ADMIN is needed
//   ERR_TUN_BUSY       TUNSETIFF gave EBUSY: the (single-queue) device is
//                      already attached to another fd
//   ERR_TUN_MODE       TUNSETIFF gave EINVAL: a device of that name exists but
//                      is of the other mode (or not tun/tap at all, or is
//                      multi-queue), or the kernel refused the name
//   ERR_TUN_SYSCALL    anything else, with `errno` and `syscall`
// Once /dev/net/tun is open, every failure closes the fd before throwing.

#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <string>

#include "errors.h"
#include "poller.h"

namespace wasagi {

namespace {

// Closes the fd it holds when it goes out of scope, unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// The checks of the kernel's dev_valid_name(), so that a bad name is an
// argument error rather than an EINVAL that would read as a mode mismatch.
// An empty name is allowed here: it asks the kernel to pick one.
bool ValidIfName(const std::string& name, std::string* why) {
  if (name.size() > IFNAMSIZ - 1) {
    *why = "is longer than " + std::to_string(IFNAMSIZ - 1) + " bytes";
    return false;
  }
  if (name == "." || name == "..") {
    *why = "may not be '.' or '..'";
    return false;
  }
  for (unsigned char c : name) {
    if (c == '\0' || c == '/' || c == ':' || std::isspace(c)) {
      *why = "may not contain NUL, '/', ':' or whitespace";
      return false;
    }
  }
  return true;
}

// Copies `name` into an ifreq (zero-filled, so always NUL-terminated).
void SetIfName(struct ifreq* ifr, const std::string& name) {
  std::memset(ifr, 0, sizeof(*ifr));
  std::memcpy(ifr->ifr_name, name.data(), name.size() < IFNAMSIZ ? name.size() : IFNAMSIZ - 1);
}

// A datagram socket for the SIOC[GS]IF* ioctls: AF_INET6, else AF_INET (a
// host may have either family compiled out). Returns -1 with errno set.
int ControlSocket() {
  int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return s;
}

// Throws the error for a failed interface ioctl on `name`.
Napi::Value ThrowIfIoctl(Napi::Env env, int err, const char* syscall, const std::string& name) {
  if (err == EPERM || err == EACCES) {
    MakeSysError(env, kErrPermission, err, syscall,
                 std::string(syscall) + " on '" + name + "' needs CAP_NET_ADMIN")
        .ThrowAsJavaScriptException();
  } else {
    MakeSysError(env, kErrSyscall, err, syscall, std::string(syscall) + " on '" + name + "' failed")
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace

Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();

  // ---- options ------------------------------------------------------------
  if (info.Length() < 1 || !info[0].IsObject()) {
    MakeTypeError(env, "openTun: opts must be an object { name, mode, mtu?, create? }")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object opts = info[0].As<Napi::Object>();

  Napi::Value nameV = opts.Get("name");
  if (!nameV.IsString()) {
    MakeTypeError(env, "openTun: name must be a string (\"\" lets the kernel pick one)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = nameV.As<Napi::String>().Utf8Value();
  std::string why;
  if (!ValidIfName(name, &why)) {
    MakeRangeError(env, "openTun: name '" + name + "' " + why).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value modeV = opts.Get("mode");
  std::string mode = modeV.IsString() ? modeV.As<Napi::String>().Utf8Value() : "";
  if (mode != "tap" && mode != "tun") {
    MakeTypeError(env, "openTun: mode must be 'tap' or 'tun'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool tap = mode == "tap";

  Napi::Value mtuV = opts.Get("mtu");
  int mtu = 0;  // 0: leave the MTU alone
  if (!mtuV.IsUndefined()) {
    double d;
    // 68: the IPv4 minimum (RFC 791); IPv6 itself needs 1280 (RFC 8200 §5),
    // which is the caller's business, not this addon's.
    if (!ReadInteger(env, mtuV, "openTun: mtu", 68, 65535, &d)) return env.Undefined();
    mtu = static_cast<int>(d);
  }

  Napi::Value createV = opts.Get("create");
  bool create = true;
  if (!createV.IsUndefined()) {
    if (!createV.IsBoolean()) {
      MakeTypeError(env, "openTun: create must be a boolean").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    create = createV.As<Napi::Boolean>().Value();
  }

  // ---- attach-only: the device must already exist ----------------------------
  // (Checked before TUNSETIFF, which would otherwise create it. A device
  // deleted between the two calls is re-created: TUNSETIFF has no attach-only
  // flag.)
  if (!create) {
    if (name.empty()) {
      MakeRangeError(env, "openTun: create: false needs the name of an existing device")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (if_nametoindex(name.c_str()) == 0) {
      MakeError(env, kErrNotFound,
                "openTun: no network device named '" + name + "' exists (create: false)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }

  // ---- /dev/net/tun -----------------------------------------------------------
  FdGuard fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
      MakeSysError(env, kErrNoDevice, err, "open",
                   "openTun: /dev/net/tun is not available (is the tun module loaded, and "
                   "/dev/net/tun present in this container?)")
          .ThrowAsJavaScriptException();
    } else if (err == EPERM || err == EACCES) {
      MakeSysError(env, kErrPermission, err, "open",
                   "openTun: opening /dev/net/tun was refused (CAP_NET_ADMIN and access to "
                   "the device node are needed)")
          .ThrowAsJavaScriptException();
    } else {
      MakeSysError(env, kErrSyscall, err, "open", "openTun: open(/dev/net/tun) failed")
          .ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  // ---- TUNSETIFF: create or attach ------------------------------------------------
  struct ifreq ifr;
  SetIfName(&ifr, name);
  ifr.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    int err = errno;
    const char* sc = "ioctl(TUNSETIFF)";
    const std::string who = name.empty() ? std::string("a new ") + mode + " device" : "'" + name + "'";
    switch (err) {
      case EPERM:
      case EACCES:
        MakeSysError(env, kErrPermission, err, sc,
                     "openTun: creating or attaching " + who +
                         " needs CAP_NET_ADMIN (or the device's owner/group)")
            .ThrowAsJavaScriptException();
        break;
      case EBUSY:
        MakeSysError(env, kErrBusy, err, sc,
                     "openTun: " + who + " is already attached to another file descriptor "
                                         "(another process, or this one)")
            .ThrowAsJavaScriptException();
        break;
      case EINVAL:
        MakeSysError(env, kErrMode, err, sc,
                     "openTun: the kernel refused " + who + " as a " + mode +
                         " device: a device of that name exists but is not a single-queue " +
                         mode + " device, or the name is not acceptable")
            .ThrowAsJavaScriptException();
        break;
      default:
        MakeSysError(env, kErrSyscall, err, sc, "openTun: TUNSETIFF on " + who + " failed")
            .ThrowAsJavaScriptException();
        break;
    }
    return env.Undefined();
  }
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  const std::string actual(ifr.ifr_name);

  // ---- MTU, link up, read back ----------------------------------------------------
  FdGuard sock(ControlSocket());
  if (sock.get() < 0) {
    MakeSysError(env, kErrSyscall, errno, "socket",
                 "openTun: no AF_INET6 or AF_INET socket for interface ioctls")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }

  if (mtu != 0) {
    SetIfName(&ifr, actual);
    ifr.ifr_mtu = mtu;
    if (ioctl(sock.get(), SIOCSIFMTU, &ifr) < 0) {
      return ThrowIfIoctl(env, errno, "ioctl(SIOCSIFMTU)", actual);
    }
  }

  SetIfName(&ifr, actual);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) {
    return ThrowIfIoctl(env, errno, "ioctl(SIOCGIFFLAGS)", actual);
  }
  if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) {
      return ThrowIfIoctl(env, errno, "ioctl(SIOCSIFFLAGS)", actual);
    }
  }

  SetIfName(&ifr, actual);
  if (ioctl(sock.get(), SIOCGIFMTU, &ifr) < 0) {
    return ThrowIfIoctl(env, errno, "ioctl(SIOCGIFMTU)", actual);
  }
  const int gotMtu = ifr.ifr_mtu;

  SetIfName(&ifr, actual);
  if (ioctl(sock.get(), SIOCGIFINDEX, &ifr) < 0) {
    return ThrowIfIoctl(env, errno, "ioctl(SIOCGIFINDEX)", actual);
  }
  const int ifindex = ifr.ifr_ifindex;

  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd.release()));
  out.Set("name", Napi::String::New(env, actual));
  out.Set("ifindex", Napi::Number::New(env, ifindex));
  out.Set("mtu", Napi::Number::New(env, gotMtu));
  return out;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ReadFd(env, info[0], &fd)) return env.Undefined();
  // A live Poller still has the fd registered with the loop's epoll set;
  // closing it underneath would leave libuv with a stale registration (and a
  // later fd of the same number could be unregistered by the Poller's close).
  if (PollerHoldsFd(env, fd)) {
    MakeError(env, kErrInvalidArg,
              "close: fd " + std::to_string(fd) + " is in use by a Poller; call poller.close() first")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // On Linux the fd is released even when close() reports EINTR, so no retry.
  if (::close(fd) < 0 && errno != EINTR) {
    MakeSysError(env, kErrSyscall, errno, "close", "close(" + std::to_string(fd) + ") failed")
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace wasagi
