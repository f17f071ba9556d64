package index

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	crashDirEnv  = "LOOKALIKE_INDEX_CRASH_DIR"
	crashKindEnv = "LOOKALIKE_INDEX_CRASH_KIND"
)

// crashVector is the vector the crash child stores under id.
func crashVector(id uint64) []float32 {
	return randomVecs(rand.New(rand.NewPCG(id, 99)), 1, testDim)
}

// TestCrashChild is the process TestCrashRecovery kills: it adds entries
// one by one, printing "add ID" once each Add has returned, deletes some
// ("del ID") and compacts now and then, until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashRecovery")
	}
	kind, _ := strconv.Atoi(os.Getenv(crashKindEnv))
	ix, err := Open(dir, testOptions(Kind(kind)))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for id := uint64(1); id < 100000; id++ {
		e := Entry{ID: id, Path: fmt.Sprintf("img/%d.jpg", id), Label: "l" + strconv.FormatUint(id%5, 10), Vector: crashVector(id)}
		if _, err := ix.Add(e); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("add", id)
		if id%10 == 0 {
			if _, err := ix.Delete(id - 5); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("del", id-5)
		}
		if id%25 == 0 {
			if err := ix.Compact(); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
		}
	}
	os.Exit(0)
}

// TestCrashRecovery SIGKILLs a process adding to an index at a random
// moment, then checks that the index opens and holds every acknowledged
// change, and nothing else but possibly the one change in flight.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rng := rand.New(rand.NewPCG(16, 16))
	for round := range 6 {
		kind := Kind(round % 2)
		t.Run(fmt.Sprintf("%d-%v", round, kind), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashKindEnv+"="+strconv.Itoa(int(kind)))
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			killAt := 20 + rng.IntN(80)
			added := map[uint64]bool{}
			deleted := map[uint64]bool{}
			sc := bufio.NewScanner(out)
			killed := false
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) != 2 {
					continue
				}
				id, _ := strconv.ParseUint(f[1], 10, 64)
				switch f[0] {
				case "add":
					added[id] = true
				case "del":
					deleted[id] = true
				case "error":
					t.Fatalf("child: %s", sc.Text())
				}
				if !killed && len(added) == killAt {
					cmd.Process.Kill() // SIGKILL
					killed = true
				}
			}
			cmd.Wait()
			if !killed {
				t.Fatal("child exited before it was killed")
			}

			ix, err := Open(dir, testOptions(kind))
			if err != nil {
				t.Fatalf("reopen after kill at %d acknowledged adds: %v", killAt, err)
			}
			defer ix.Close()
			// The child may have been killed after a delete was logged
			// but before it was acknowledged.
			inFlightDel := uint64(0)
			if n := uint64(len(added)); n%10 == 0 && !deleted[n-5] {
				inFlightDel = n - 5
			}
			for id := range added {
				e, ok := ix.Get(id)
				if id == inFlightDel && !ok {
					continue
				}
				if deleted[id] {
					if ok {
						t.Errorf("acknowledged delete of %d lost", id)
					}
					continue
				}
				if !ok {
					t.Errorf("acknowledged add of %d lost", id)
					continue
				}
				want := crashVector(id)
				normalize(want)
				if e.Path != fmt.Sprintf("img/%d.jpg", id) || !slices.Equal(e.Vector, want) {
					t.Errorf("entry %d damaged: %+v", id, e)
				}
			}
			// At most the one unacknowledged change in flight may show.
			for e := range ix.All() {
				if !added[e.ID] && e.ID != uint64(len(added)+1) {
					t.Errorf("unexpected entry %d", e.ID)
				}
			}
			if r, err := ix.Search(crashVector(1), 3); err != nil || len(r) == 0 {
				t.Errorf("search after recovery: %v, %v", r, err)
			}
			t.Logf("killed after %d adds, %d deletes; reopened with %d entries", len(added), len(deleted), ix.Len())
		})
	}
}
