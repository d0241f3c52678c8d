// canboatjs decoding a canboat plain-text log: the best of three passes, as JSON.
// Usage: node canboat_decode.js LOG [REPEAT]
const fs = require('fs')
const { FromPgn } = require('@canboat/canboatjs')

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l)
const repeat = Number(process.argv[3] || 3)
const warm = new FromPgn({})
for (const line of lines.slice(0, 500)) warm.parseString(line)
let best = Infinity
let decoded = 0
for (let r = 0; r < repeat; r++) {
  const parser = new FromPgn({})
  decoded = 0
  const started = process.hrtime.bigint()
  for (const line of lines) {
    if (parser.parseString(line)) decoded++
  }
  best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9)
}
console.log(JSON.stringify({ lines: lines.length, decoded, rate: lines.length / best }))
