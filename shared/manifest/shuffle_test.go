package manifest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// pThreshold is the significance level of the uniformity tests: with fixed
// seeds they are deterministic, and a correct shuffle fails one only by a
// 1-in-1000 accident of the seed.
const pThreshold = 0.001

// chiSquareSF is the survival function P(X >= x) of a chi-square
// distribution with df degrees of freedom: the regularized upper incomplete
// gamma function Q(df/2, x/2).
func chiSquareSF(x float64, df int) float64 {
	return gammaQ(float64(df)/2, x/2)
}

// gammaQ is Q(a, x) by its series for x < a+1 and by its continued
// fraction otherwise (Numerical Recipes, 6.2).
func gammaQ(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 1000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return 1 - sum*math.Exp(-x+a*math.Log(x)-lg)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}

func TestChiSquareSF(t *testing.T) {
	t.Parallel()
	// Critical values from statistical tables.
	tests := []struct {
		x    float64
		df   int
		want float64
	}{
		{3.841, 1, 0.05},
		{6.635, 1, 0.01},
		{9.488, 4, 0.05},
		{18.467, 4, 0.001},
		{26.296, 16, 0.05},
		{39.252, 16, 0.001},
		{45.315, 20, 0.001},
		{59.703, 30, 0.001},
		{149.449, 100, 0.001},
	}
	for _, tt := range tests {
		got := chiSquareSF(tt.x, tt.df)
		if math.Abs(got-tt.want) > tt.want*0.02 {
			t.Errorf("chiSquareSF(%v, %d) = %.5f; want %.5f", tt.x, tt.df, got, tt.want)
		}
	}
	// Even degrees of freedom have a closed form.
	for _, df := range []int{2, 4, 16, 30} {
		for _, x := range []float64{0.5, 3, 10, 40, 90} {
			want, term := 0.0, 1.0
			for i := range df / 2 {
				if i > 0 {
					term *= x / 2 / float64(i)
				}
				want += term
			}
			want *= math.Exp(-x / 2)
			if got := chiSquareSF(x, df); math.Abs(got-want) > 1e-9 {
				t.Errorf("chiSquareSF(%v, %d) = %g; want %g", x, df, got, want)
			}
		}
	}
}

// chiSquare returns Pearson's statistic of counts against equal expected
// frequencies.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	e := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		x += (float64(c) - e) * (float64(c) - e) / e
	}
	return x
}

// positionTable tests an n×n table of item-by-position counts from uniform
// random permutations. The cells of a permutation matrix are dependent
// (every row and column sums to one): Pearson's statistic over the table is
// distributed as n/(n-1) · χ² with (n-1)² degrees of freedom, so it is
// rescaled before the test.
func positionTable(t *testing.T, counts [][]int) {
	t.Helper()
	n := len(counts)
	var flat []int
	for _, row := range counts {
		flat = append(flat, row...)
	}
	x := chiSquare(flat) * float64(n-1) / float64(n)
	df := (n - 1) * (n - 1)
	if p := chiSquareSF(x, df); p < pThreshold {
		t.Errorf("item-by-position counts not uniform: χ²=%.1f, df=%d, p=%.2g\n%v", x, df, p, counts)
	}
}

// outcomes tests that every distinct outcome in counts (outcome → count)
// is equally likely, knowing there are want of them.
func outcomes(t *testing.T, counts map[string]int, want int) {
	t.Helper()
	if len(counts) != want {
		t.Fatalf("%d distinct outcomes; want %d", len(counts), want)
	}
	flat := make([]int, 0, len(counts))
	for _, c := range counts {
		flat = append(flat, c)
	}
	x := chiSquare(flat)
	if p := chiSquareSF(x, want-1); p < pThreshold {
		t.Errorf("outcomes not equally likely: χ²=%.1f, df=%d, p=%.2g", x, want-1, p)
	}
}

func factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return f
}

func TestFisherYatesUniform(t *testing.T) {
	t.Parallel()
	const n, trials = 5, 60000
	counts := make([][]int, n)
	for i := range counts {
		counts[i] = make([]int, n)
	}
	perms := map[string]int{}
	order := make([]uint32, n)
	for s := range uint64(trials) {
		for i := range order {
			order[i] = uint32(i)
		}
		FisherYates(order, s)
		for pos, item := range order {
			counts[item][pos]++
		}
		perms[fmt.Sprint(order)]++
	}
	positionTable(t, counts)
	outcomes(t, perms, factorial(n))
}

func TestFisherYatesDeterministic(t *testing.T) {
	t.Parallel()
	a := []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	b := slices.Clone(a)
	FisherYates(a, 42)
	FisherYates(b, 42)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different orders: %v and %v", a, b)
	}
	c := []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	FisherYates(c, 43)
	if slices.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same order %v", a)
	}
	FisherYates(nil, 1) // must not panic
}

func TestInsertRandomUniform(t *testing.T) {
	t.Parallel()
	tests := []struct{ n, k int }{
		{0, 1}, {4, 1}, {1, 3}, {3, 2}, {2, 4}, {5, 3},
	}
	const trials = 60000
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_into_%d", tt.k, tt.n), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tt.n), uint64(tt.k)))
			total := tt.n + tt.k
			counts := make([][]int, tt.k) // new item × final position
			for i := range counts {
				counts[i] = make([]int, total)
			}
			seen := map[string]int{}
			add := make([]uint32, tt.k)
			for i := range add {
				add[i] = uint32(100 + i)
			}
			for range trials {
				order := make([]uint32, tt.n)
				for i := range order {
					order[i] = uint32(i)
				}
				got := insertRandom(order, add, rng)
				if len(got) != total {
					t.Fatalf("insertRandom gave %d items; want %d", len(got), total)
				}
				prev := -1
				for pos, v := range got {
					if v >= 100 {
						counts[v-100][pos]++
						continue
					}
					if int(v) != prev+1 {
						t.Fatalf("old items out of order: %v", got)
					}
					prev = int(v)
				}
				if prev != tt.n-1 {
					t.Fatalf("old items lost: %v", got)
				}
				seen[fmt.Sprint(got)]++
			}
			for i, v := range add {
				if v != uint32(100+i) {
					t.Fatalf("insertRandom modified its add argument: %v", add)
				}
			}
			// Each new item's position is a multinomial over total
			// positions: test each against uniform (Bonferroni).
			for i, row := range counts {
				x := chiSquare(row)
				if p := chiSquareSF(x, total-1); p < pThreshold/float64(tt.k) {
					t.Errorf("new item %d: positions not uniform: χ²=%.1f, p=%.2g, counts %v", i, x, p, row)
				}
			}
			// The whole result is uniform over the (n+k)!/n!
			// interleavings, the new items in any order.
			outcomes(t, seen, factorial(total)/factorial(tt.n))
		})
	}
}

// TestShuffleSeeds checks that Shuffle records each playlist's seed, that a
// recorded seed replays its order, and that playlists stay valid.
func TestShuffleSeeds(t *testing.T) {
	t.Parallel()
	m := sample(t, 50)
	before := clone(m)
	m.Shuffle(7)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Playlists {
		if p.Seed != PlaylistSeed(7, p.Name) {
			t.Errorf("playlist %q seed %d; want %d", p.Name, p.Seed, PlaylistSeed(7, p.Name))
		}
		replay := slices.Clone(before.Playlists[i].Order)
		FisherYates(replay, p.Seed)
		if !slices.Equal(replay, p.Order) {
			t.Errorf("playlist %q: replaying its seed does not give its order", p.Name)
		}
	}
	if PlaylistSeed(7, "a") == PlaylistSeed(7, "b") {
		t.Error("playlists a and b share a seed")
	}
}
