{
  # wasagi_native: the TUN/TAP addon. Opens and configures /dev/net/tun,
  # moves whole frames between the fd and caller-given offsets of a
  # WebAssembly memory, and reports readiness on the Node main loop.
  # It parses nothing; see native/README.md.
  "targets": [
    {
      "target_name": "wasagi_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/errors.cc",
        "native/src/burst.cc",
        "native/src/tun.cc",
        "native/src/poller.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      # gyp hands "cflags" to C and C++ alike; node's common.gypi already
      # gives -std=gnu++17 -fno-exceptions -fno-rtti, and -O3 for Release,
      # which is swapped for -O2 here.
      "cflags": [ "-O2", "-Wall", "-Wextra" ],
      "cflags!": [ "-O3" ],
      "cflags_cc!": [ "-O3" ]
    }
  ]
}
