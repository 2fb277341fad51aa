// go-dqlite's database/sql driver under concurrent callers: the peer of `npm run bench --
// --concurrency` (bench/concurrency.ts). N goroutines share one sql.DB (database/sql's pool over
// go-dqlite's driver) and run one workload against a real node for a fixed time; it prints one
// JSON line: operations done, per-operation latency percentiles, and the errors callers got.
//
//	go-pool -addr 127.0.0.1:9001 -db bench -workload reads -callers 16 -warmup 1s -duration 4s -rows 10000
//
// Workloads: reads (a point read by primary key), writes (a single-row INSERT), mixed (90 % reads,
// 10 % writes), read-in-tx (a point read issued while another caller's 10-write transaction is
// open: its latency, and the transaction's).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canonical/go-dqlite/client"
	"github.com/canonical/go-dqlite/driver"
)

type result struct {
	Engine      string  `json:"engine"`
	Workload    string  `json:"workload"`
	Callers     int     `json:"callers"`
	Ops         int64   `json:"ops"`
	Seconds     float64 `json:"seconds"`
	OpsPerSec   float64 `json:"opsPerSec"`
	P50Micros   float64 `json:"p50us"`
	P99Micros   float64 `json:"p99us"`
	Errors      int64   `json:"errors"`
	WriteOps    int64   `json:"writeOps"`
	ErrorSample string  `json:"errorSample,omitempty"`
	TxMicros    float64 `json:"txUs,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "node address")
	name := flag.String("db", "bench", "database")
	workload := flag.String("workload", "reads", "reads | writes | mixed | read-in-tx")
	callers := flag.Int("callers", 16, "goroutines")
	warmup := flag.Duration("warmup", time.Second, "untimed warm-up")
	duration := flag.Duration("duration", 4*time.Second, "timed run")
	rows := flag.Int("rows", 10000, "rows of the kv table (point reads pick one at random)")
	flag.Parse()

	ctx := context.Background()
	store := client.NewInmemNodeStore()
	if err := store.Set(ctx, []client.NodeInfo{{Address: *addr}}); err != nil {
		fail(err)
	}
	drv, err := driver.New(store)
	if err != nil {
		fail(err)
	}
	sql.Register("dqlite-bench", drv)
	db, err := sql.Open("dqlite-bench", *name)
	if err != nil {
		fail(err)
	}
	// database/sql opens as many connections as callers; keep them all idle between calls
	// (its default keeps 2, which makes 16 callers reconnect all the time).
	db.SetMaxIdleConns(*callers)
	defer db.Close()

	var out result
	if *workload == "read-in-tx" {
		out = readInTransaction(db, *rows, *warmup, *duration)
	} else {
		out = run(db, *workload, *callers, *rows, *warmup, *duration)
	}
	out.Engine = "go-dqlite database/sql"
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}

func run(db *sql.DB, workload string, callers, rows int, warmup, duration time.Duration) result {
	var ops, writeOps, errors atomic.Int64
	var sample atomic.Value
	var timing atomic.Bool
	latencies := make([][]time.Duration, callers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			random := rand.New(rand.NewSource(int64(c) + 1))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				write := workload == "writes" || (workload == "mixed" && n%10 == c%10)
				started := time.Now()
				var err error
				if write {
					_, err = db.Exec("INSERT INTO w (caller, n) VALUES (?, ?)", c, n)
				} else {
					var v string
					err = db.QueryRow("SELECT v FROM kv WHERE k = ?", 1+random.Intn(rows)).Scan(&v)
				}
				if !timing.Load() {
					continue
				}
				if err != nil {
					errors.Add(1)
					sample.CompareAndSwap(nil, err.Error())
					continue
				}
				ops.Add(1)
				if write {
					writeOps.Add(1)
				}
				latencies[c] = append(latencies[c], time.Since(started))
			}
		}(c)
	}
	time.Sleep(warmup)
	timing.Store(true)
	begun := time.Now()
	time.Sleep(duration)
	timing.Store(false)
	seconds := time.Since(begun).Seconds()
	close(stop)
	wg.Wait()
	all := []time.Duration{}
	for _, l := range latencies {
		all = append(all, l...)
	}
	out := result{Workload: workload, Callers: callers, Ops: ops.Load(), Seconds: seconds, OpsPerSec: float64(ops.Load()) / seconds, Errors: errors.Load(), WriteOps: writeOps.Load()}
	out.P50Micros, out.P99Micros = percentiles(all)
	if s, ok := sample.Load().(string); ok {
		out.ErrorSample = s
	}
	return out
}

// readInTransaction: one caller runs transactions of 10 single-row writes back to back; after the
// 5th write of each, another caller issues a point read and times it.
func readInTransaction(db *sql.DB, rows int, warmup, duration time.Duration) result {
	var reads, txs []time.Duration
	var errors int64
	var sample string
	deadline := time.Now().Add(warmup + duration)
	timedFrom := time.Now().Add(warmup)
	for n := 0; time.Now().Before(deadline); n++ {
		begun := time.Now()
		tx, err := db.Begin()
		if err != nil {
			errors++
			sample = err.Error()
			continue
		}
		var readDone chan time.Duration
		for i := 0; i < 10; i++ {
			if _, err = tx.Exec("INSERT INTO w (caller, n) VALUES (?, ?)", -1, n*10+i); err != nil {
				break
			}
			if i == 4 {
				readDone = make(chan time.Duration, 1)
				go func() {
					started := time.Now()
					var v string
					if err := db.QueryRow("SELECT v FROM kv WHERE k = ?", 1+rand.Intn(rows)).Scan(&v); err != nil {
						readDone <- -1
						return
					}
					readDone <- time.Since(started)
				}()
			}
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		read := <-readDone
		if time.Now().Before(timedFrom) {
			continue
		}
		if err != nil || read < 0 {
			errors++
			if err != nil {
				sample = err.Error()
			}
			continue
		}
		reads = append(reads, read)
		txs = append(txs, time.Since(begun))
	}
	out := result{Workload: "read-in-tx", Callers: 2, Ops: int64(len(reads)), Seconds: duration.Seconds(), OpsPerSec: float64(len(reads)) / duration.Seconds(), Errors: errors, ErrorSample: sample}
	out.P50Micros, out.P99Micros = percentiles(reads)
	out.TxMicros, _ = percentiles(txs)
	return out
}

func percentiles(all []time.Duration) (float64, float64) {
	if len(all) == 0 {
		return 0, 0
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	at := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1000
	}
	return at(0.5), at(0.99)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-pool:", err)
	os.Exit(1)
}
