// go-dqlite's own row decoder on the same frames as the TypeScript benchmark.
//
// bench/go-peer.ts builds this file together with copies of go-dqlite's internal/protocol
// sources (message.go, buffer.go, constants.go, errors.go, response.go from Debian's
// golang-github-canonical-go-dqlite-dev), renamed into package main, because an internal
// package cannot be imported from outside its module. Nothing of go-dqlite is committed here.
//
// Usage: go-peer FRAMES_FILE REPEATS, or go-peer FRAMES_FILE --serve (one repetition per line of
// stdin, "streaming" or "kept", answered with one JSON line).
// Reads a file of whole ROWS frames (one result: PART frames, then DONE), and decodes it the way
// go-dqlite's driver does: each frame's body is copied into the one reused Message (as recvBody
// does from the socket), DecodeRows reads the column names, Rows.Next fills a []driver.Value per
// row until the frame's PART or DONE marker. Two cases:
//   - "streaming": one reused dest slice, rows dropped (what database/sql's Rows.Scan sees);
//   - "kept": a copy of every row appended to one slice for the whole result (what collecting
//     rows into memory costs, as `.all()` does in TypeScript).
// Prints one JSON line per case: {"case","rows","bestSeconds","medianSeconds"}.
package main

import (
	"bufio"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

type frame struct {
	words uint32
	mtype uint8
	flags uint8
	body  []byte
}

func readFrames(path string) ([]frame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var frames []frame
	for at := 0; at+8 <= len(data); {
		words := binary.LittleEndian.Uint32(data[at:])
		end := at + 8 + int(words)*8
		if end > len(data) {
			return nil, fmt.Errorf("frame at %d runs past the end of the file", at)
		}
		frames = append(frames, frame{words: words, mtype: data[at+4], flags: data[at+5], body: data[at+8 : end]})
		at = end
	}
	return frames, nil
}

// decode runs one whole result through go-dqlite's decoder; keep collects every row.
func decode(frames []frame, message *Message, keep bool) (int, [][]driver.Value, error) {
	count := 0
	var kept [][]driver.Value
	var dest []driver.Value
	for _, f := range frames {
		message.reset()
		message.words = f.words
		message.mtype = f.mtype
		message.flags = f.flags
		for int(f.words)*messageWordSize > len(message.body.Bytes) {
			message.body.Bytes = make([]byte, len(message.body.Bytes)*2)
		}
		copy(message.body.Bytes, f.body)
		rows, err := DecodeRows(message)
		if err != nil {
			return count, nil, err
		}
		if dest == nil {
			dest = make([]driver.Value, len(rows.Columns))
		}
		for {
			err := rows.Next(dest)
			if err == ErrRowsPart || err == io.EOF {
				break
			}
			if err != nil {
				return count, nil, err
			}
			count++
			if keep {
				row := make([]driver.Value, len(dest))
				copy(row, dest)
				kept = append(kept, row)
			}
		}
	}
	return count, kept, nil
}

// minSeconds is how long a repetition runs the decode back to back (as bench/measure.ts does).
const minSeconds = 0.2

// repetition decodes the whole result on a collected heap, back to back for at least
// minSeconds: the steady state, timed as the TypeScript cases are. It returns the seconds of one
// decode and the rows decoded.
func repetition(frames []frame, message *Message, keep bool) (float64, int) {
	runtime.GC()
	started := time.Now()
	runs := 0
	rows := 0
	for {
		n, kept, err := decode(frames, message, keep)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		runtime.KeepAlive(kept)
		rows = n
		runs++
		if time.Since(started).Seconds() >= minSeconds {
			break
		}
	}
	return time.Since(started).Seconds() / float64(runs), rows
}

// serve answers one repetition per line of stdin ("streaming" or "kept") with one JSON line
// {"seconds","rows"}, so that the benchmark can interleave go-dqlite's repetitions with its own.
func serve(frames []frame, message *Message) {
	repetition(frames, message, false)
	repetition(frames, message, true)
	fmt.Println(`{"ready":true}`)
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		seconds, rows := repetition(frames, message, lines.Text() == "kept")
		// The collector's work done before answering, not on the other core while the next
		// process is timed.
		runtime.GC()
		line, _ := json.Marshal(map[string]any{"seconds": seconds, "rows": rows})
		fmt.Println(string(line))
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go-peer FRAMES_FILE REPEATS")
		os.Exit(2)
	}
	frames, err := readFrames(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	message := &Message{}
	message.Init(4096)
	if os.Args[2] == "--serve" {
		serve(frames, message)
		return
	}
	repeats, _ := strconv.Atoi(os.Args[2])
	for _, keep := range []bool{false, true} {
		name := "streaming"
		if keep {
			name = "kept"
		}
		times := make([]float64, 0, repeats)
		rows := 0
		repetition(frames, message, keep) // warm-up
		for i := 0; i < repeats; i++ {
			seconds, n := repetition(frames, message, keep)
			rows = n
			times = append(times, seconds)
		}
		sort.Float64s(times)
		line, _ := json.Marshal(map[string]any{"case": name, "rows": rows, "bestSeconds": times[0], "medianSeconds": times[len(times)/2]})
		fmt.Println(string(line))
	}
}
