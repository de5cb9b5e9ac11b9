;; Found: `(loop (br 0))` compiled trapped at once with "call stack exhausted":
;; the loop had no path to End, so dead-code removal dropped it and the entry
;; block fell through. Now every loop header polls the interrupt word, which is
;; also how sandbox.MaxCPUTime stops it in every tier.
;; options: --sandbox.MaxCPUTime=100ms
;; run: spin -> error resource exhausted: sandbox.MaxCPUTime of 100ms exceeded
(module
  (func (export "spin") (loop (br 0))))
