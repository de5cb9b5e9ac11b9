;; Found: a memory of 65536 pages (4 GiB) zeroed every byte when it was made, so
;; a valid module took seconds and 4 GiB of RAM to load. Fresh pages are now left
;; untouched (already zero); only bytes written before a shrink are cleared.
;; run: last -> 7
;; run: last_untouched -> 0
;; run: past_end -> trap out of bounds memory access
(module
  (memory 65536)
  (func (export "last") (result i32)
    (i32.store (i32.const 0xfffffffc) (i32.const 7))
    (i32.load (i32.const 0xfffffffc)))
  (func (export "last_untouched") (result i32) (i32.load (i32.const 0x80000000)))
  (func (export "past_end") (result i32) (i32.load (i32.const 0xfffffffd))))
