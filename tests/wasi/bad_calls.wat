;; Malformed WASI calls, each in its own exported function that returns the
;; errno WASI answered (or ends the guest). tests/WasiTest.cpp runs every
;; function in every tier with a temporary directory preopened as "." (fd 3),
;; holding file.txt, sub/ and two symlinks: escape -> /etc and up -> ..
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; Paths, at 1024 + 32 * n.
  (data (i32.const 1024) "../outside.txt")      ;; 14
  (data (i32.const 1056) "/etc/passwd")         ;; 11
  (data (i32.const 1088) "escape/passwd")       ;; 13
  (data (i32.const 1120) "up/file.txt")         ;; 11
  (data (i32.const 1152) "sub/../file.txt")     ;; 15
  (data (i32.const 1184) "file\00.txt")         ;; 9
  (data (i32.const 1216) "sub/../../file.txt")  ;; 18
  (data (i32.const 1248) "file.txt")            ;; 8
  (data (i32.const 1280) "escape")              ;; 6
  (data (i32.const 1312) "link")                ;; 4

  ;; path_open(dir, follow symlinks, path, length, no oflags, read right, 0, 0, fd -> 512)
  (func $open (param $dir i32) (param $path i32) (param $length i32) (result i32)
    (call $path_open (local.get $dir) (i32.const 1) (local.get $path) (local.get $length)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 512)))

  ;; Pointers and lengths outside the 64 KiB memory: EFAULT (21).
  (func (export "iovec_buffer_past_memory") (result i32)
    (i32.store (i32.const 0) (i32.const 0xfff0))
    (i32.store (i32.const 4) (i32.const 0x100))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func (export "iovec_length_near_4_gib") (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 0xffffffff))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func (export "iovec_count_near_4_gib") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0xffffffff) (i32.const 16)))
  (func (export "iovec_array_past_memory") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0xfffc) (i32.const 1) (i32.const 16)))
  (func (export "written_count_past_memory") (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 0))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0xfffe)))
  (func (export "read_into_buffer_past_memory") (result i32)
    (drop (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 0xffff))
    (i32.store (i32.const 4) (i32.const 2))
    (call $fd_read (i32.load (i32.const 512)) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func (export "seek_result_past_memory") (result i32)
    (drop (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
    (call $fd_seek (i32.load (i32.const 512)) (i64.const 0) (i32.const 0) (i32.const 0xfff9)))
  (func (export "args_buffer_past_memory") (result i32)
    (call $args_get (i32.const 0) (i32.const 0xfffe)))
  (func (export "args_pointers_past_memory") (result i32)
    (call $args_get (i32.const 0xfffe) (i32.const 0)))
  (func (export "environ_sizes_past_memory") (result i32)
    (call $environ_sizes_get (i32.const 0) (i32.const 0x10000)))
  (func (export "random_length_near_4_gib") (result i32)
    (call $random_get (i32.const 16) (i32.const 0xfffffff0)))
  (func (export "clock_result_past_memory") (result i32)
    (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0xfffc)))
  (func (export "readdir_buffer_past_memory") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 0xff00) (i32.const 0x1000) (i64.const 0) (i32.const 16)))
  (func (export "path_past_memory") (result i32)
    (call $open (i32.const 3) (i32.const 0xfff0) (i32.const 0x100)))
  (func (export "path_length_near_4_gib") (result i32)
    (call $open (i32.const 3) (i32.const 1248) (i32.const 0xffffffff)))
  (func (export "opened_fd_past_memory") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 1248) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0xfffe)))
  (func (export "readlink_buffer_past_memory") (result i32)
    (call $path_readlink (i32.const 3) (i32.const 1280) (i32.const 6) (i32.const 0xfff0) (i32.const 0x20)
      (i32.const 16)))
  (func (export "prestat_name_past_memory") (result i32)
    (call $fd_prestat_dir_name (i32.const 3) (i32.const 0x10000) (i32.const 1)))

  ;; Descriptors that are not open: EBADF (8); not a directory: ENOTDIR (54).
  (func (export "write_to_unopened_fd") (result i32)
    (call $fd_write (i32.const 77) (i32.const 0) (i32.const 0) (i32.const 16)))
  (func (export "write_to_fd_near_4_gib") (result i32)
    (call $fd_write (i32.const 0xffffffff) (i32.const 0) (i32.const 0) (i32.const 16)))
  (func (export "close_twice") (result i32)
    (drop (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
    (drop (call $fd_close (i32.load (i32.const 512))))
    (call $fd_close (i32.load (i32.const 512))))
  (func (export "read_after_close") (result i32)
    (drop (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
    (drop (call $fd_close (i32.load (i32.const 512))))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 8))
    (call $fd_read (i32.load (i32.const 512)) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func (export "path_from_closed_preopen") (result i32)
    (drop (call $fd_close (i32.const 3)))
    (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
  (func (export "renumber_to_unopened_fd") (result i32)
    (call $fd_renumber (i32.const 3) (i32.const 50)))
  (func (export "path_from_a_file_fd") (result i32)
    (call $open (i32.const 1) (i32.const 1248) (i32.const 8)))
  (func (export "readdir_of_a_file_fd") (result i32)
    (call $fd_readdir (i32.const 1) (i32.const 0) (i32.const 64) (i64.const 0) (i32.const 16)))

  ;; Paths leaving the preopened directory: ENOTCAPABLE (76).
  (func (export "open_parent_of_preopen") (result i32)
    (call $open (i32.const 3) (i32.const 1024) (i32.const 14)))
  (func (export "open_absolute_path") (result i32)
    (call $open (i32.const 3) (i32.const 1056) (i32.const 11)))
  (func (export "open_through_symlink_to_absolute_directory") (result i32)
    (call $open (i32.const 3) (i32.const 1088) (i32.const 13)))
  (func (export "open_through_symlink_to_parent") (result i32)
    (call $open (i32.const 3) (i32.const 1120) (i32.const 11)))
  (func (export "open_dot_dot_past_the_top_inside_a_path") (result i32)
    (call $open (i32.const 3) (i32.const 1216) (i32.const 18)))
  (func (export "mkdir_in_parent_of_preopen") (result i32)
    (call $path_create_directory (i32.const 3) (i32.const 1024) (i32.const 14)))
  (func (export "unlink_absolute_path") (result i32)
    (call $path_unlink_file (i32.const 3) (i32.const 1056) (i32.const 11)))
  (func (export "rename_into_parent_of_preopen") (result i32)
    (call $path_rename (i32.const 3) (i32.const 1248) (i32.const 8) (i32.const 3) (i32.const 1024) (i32.const 14)))
  (func (export "symlink_to_absolute_target") (result i32)
    (call $path_symlink (i32.const 1056) (i32.const 11) (i32.const 3) (i32.const 1312) (i32.const 4)))

  ;; Other malformed arguments: EINVAL (28).
  (func (export "path_with_nul_byte") (result i32)
    (call $open (i32.const 3) (i32.const 1184) (i32.const 9)))
  (func (export "clock_of_unknown_id") (result i32)
    (call $clock_time_get (i32.const 99) (i64.const 0) (i32.const 16)))
  (func (export "poll_without_subscriptions") (result i32)
    (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 16)))
  (func (export "poll_with_4_billion_subscriptions") (result i32)
    (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 0xffffffff) (i32.const 16)))
  (func (export "seek_with_unknown_whence") (result i32)
    (drop (call $open (i32.const 3) (i32.const 1248) (i32.const 8)))
    (call $fd_seek (i32.load (i32.const 512)) (i64.const 0) (i32.const 9) (i32.const 16)))

  ;; Allowed: `..` that stays inside the preopen (0).
  (func (export "open_dot_dot_inside_the_preopen") (result i32)
    (call $open (i32.const 3) (i32.const 1152) (i32.const 15)))

  ;; A 10 s sleep (one relative clock subscription on the monotonic clock),
  ;; which Context::cancel() from another thread must cut short.
  (func (export "sleep_ten_seconds") (result i32)
    (i64.store (i32.const 0) (i64.const 77))            ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))            ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))            ;; monotonic
    (i64.store (i32.const 24) (i64.const 10000000000))  ;; 10 s
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))          ;; relative
    (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 1) (i32.const 512)))

  ;; proc_exit ends the guest from any depth, in every tier.
  (func (export "exit_with_7")
    (call $proc_exit (i32.const 7)))
  (func $recurse (param $depth i32)
    (if (i32.eqz (local.get $depth)) (then (call $proc_exit (i32.const 3))))
    (call $recurse (i32.sub (local.get $depth) (i32.const 1))))
  (func (export "exit_100_calls_deep")
    (call $recurse (i32.const 100))))
