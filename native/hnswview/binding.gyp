{
  "targets": [
    {
      "target_name": "hnswview",
      "sources": ["hnswview.cpp"],
      "include_dirs": [
        "<!(node -p \"require('path').join(require('path').dirname(require.resolve('usearch')), '..', '..', '..', 'include')\")"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-ffp-contract=off", "-fexceptions", "-Wno-unknown-pragmas", "-Wno-maybe-uninitialized"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldl"]
    }
  ]
}
