// tun.h — opening, configuring and closing a tun/tap file descriptor.
//
//   openTun({ name, mode: 'tap' | 'tun', mtu?, create? = true })
//     → { fd, name, ifindex, mtu }
//   close(fd)
//
// openTun opens /dev/net/tun (O_RDWR|O_NONBLOCK|O_CLOEXEC), binds it to a
// device with TUNSETIFF (IFF_TAP or IFF_TUN, always IFF_NO_PI: the fd carries
// bare Ethernet frames or bare IP packets), optionally sets the MTU, brings
// the link up, and reports what the kernel ended up with. The kernel-side
// device keeps its own MAC address.

#ifndef WASAGI_NATIVE_TUN_H_
#define WASAGI_NATIVE_TUN_H_

#include <napi.h>

namespace wasagi {

Napi::Value OpenTun(const Napi::CallbackInfo& info);
Napi::Value CloseFd(const Napi::CallbackInfo& info);

}  // namespace wasagi

#endif  // WASAGI_NATIVE_TUN_H_
