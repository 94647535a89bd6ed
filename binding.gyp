{
  "targets": [
    {
      "target_name": "yiban_sm2",
      "sources": ["native/sm2/addon.c"],
      "cflags": ["-O3", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
