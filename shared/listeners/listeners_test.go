package listeners_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jokebox/jokebox/internal/motoserver"
	"github.com/jokebox/jokebox/shared/listeners"
	"github.com/jokebox/jokebox/shared/skill"
)

var _ listeners.API = (*dynamodb.Client)(nil)

// motoTable is a fresh listeners table in moto and a client of it.
func motoTable(t *testing.T) (*listeners.Table, *dynamodb.Client) {
	t.Helper()
	db := motoserver.DynamoDB(motoserver.Config(motoserver.Start(t)))
	name := motoserver.ListenersTable(t, db, "listeners")
	return listeners.NewTable(db, name), db
}

// kinds runs a test on the table in moto and on Memory: the same rules.
func kinds(t *testing.T, f func(t *testing.T, ls skill.Listeners)) {
	t.Run("table", func(t *testing.T) {
		tb, _ := motoTable(t)
		f(t, tb)
	})
	t.Run("memory", func(t *testing.T) { f(t, listeners.NewMemory()) })
}

func place(pos int, at time.Time) skill.Place {
	return skill.Place{Version: 7, Playlist: "animales", Pos: pos, Key: fmt.Sprintf("animales/%d.mp3", pos), At: at.Truncate(time.Millisecond)}
}

func TestPutGetDelete(t *testing.T) {
	kinds(t, func(t *testing.T, ls skill.Listeners) {
		ctx := context.Background()
		id := skill.ListenerID("amzn1.ask.account.A")
		if _, ok, err := ls.Get(ctx, id); ok || err != nil {
			t.Fatalf("Get of nobody = %v, %v; want nothing", ok, err)
		}
		want := place(3, time.Now())
		if err := ls.Put(ctx, id, want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := ls.Get(ctx, id)
		if err != nil || !ok {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
		if err := ls.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := ls.Get(ctx, id); ok || err != nil {
			t.Errorf("Get after Delete = %v, %v; want nothing", ok, err)
		}
		if err := ls.Delete(ctx, id); err != nil {
			t.Errorf("Delete of nobody: %v", err)
		}
	})
}

func TestLaterPlayWins(t *testing.T) {
	kinds(t, func(t *testing.T, ls skill.Listeners) {
		ctx := context.Background()
		id := skill.ListenerID("amzn1.ask.account.A")
		now := time.Now()
		if err := ls.Put(ctx, id, place(5, now)); err != nil {
			t.Fatal(err)
		}
		if err := ls.Put(ctx, id, place(4, now.Add(-time.Second))); err != nil {
			t.Fatalf("an older play is not an error: %v", err)
		}
		if got, _, _ := ls.Get(ctx, id); got.Pos != 5 {
			t.Errorf("after an older Put, pos = %d; want 5 (the later play)", got.Pos)
		}
		// Two devices writing at once, in any order: the later play stays.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ls.Put(ctx, id, place(10+i, now.Add(time.Duration(i+1)*time.Second))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got, _, _ := ls.Get(ctx, id); got.Pos != 29 {
			t.Errorf("after 20 concurrent plays, pos = %d; want 29 (the latest)", got.Pos)
		}
	})
}

func TestExpiredIsNothing(t *testing.T) {
	kinds(t, func(t *testing.T, ls skill.Listeners) {
		ctx := context.Background()
		id := skill.ListenerID("amzn1.ask.account.A")
		if err := ls.Put(ctx, id, place(1, time.Now().Add(-listeners.TTL-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := ls.Get(ctx, id); ok || err != nil {
			t.Errorf("Get of a place past its TTL = %v, %v; want nothing (DynamoDB deletes expired items late)", ok, err)
		}
	})
}

// TestForeignItems: an item jokebox did not write (or a corrupt one) reads
// as nothing, and the next play overwrites it.
func TestForeignItems(t *testing.T) {
	tb, db := motoTable(t)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	future := fmt.Sprint(time.Now().Add(time.Hour).Unix())
	good := func() map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"format": s("jb1"), "version": n("7"), "playlist": s(""), "pos": n("2"), "key": s("a.mp3"),
			"at": n(fmt.Sprint(time.Now().Add(-time.Hour).UnixMilli())), "expires": n(future),
		}
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]types.AttributeValue)
	}{
		{"another format", func(m map[string]types.AttributeValue) { m["format"] = s("asksdk") }},
		{"no format", func(m map[string]types.AttributeValue) { delete(m, "format") }},
		{"pos a string", func(m map[string]types.AttributeValue) { m["pos"] = s("two") }},
		{"negative pos", func(m map[string]types.AttributeValue) { m["pos"] = n("-1") }},
		{"huge pos", func(m map[string]types.AttributeValue) { m["pos"] = n("99999999999999") }},
		{"version a float", func(m map[string]types.AttributeValue) { m["version"] = n("7.5") }},
		{"no key", func(m map[string]types.AttributeValue) { delete(m, "key") }},
		{"empty key", func(m map[string]types.AttributeValue) { m["key"] = s("") }},
		{"at a string", func(m map[string]types.AttributeValue) { m["at"] = s("later") }},
		{"at in the year 3000", func(m map[string]types.AttributeValue) {
			m["at"] = n(fmt.Sprint(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))
		}},
		{"expires a string", func(m map[string]types.AttributeValue) { m["expires"] = s("never") }},
		{"expired", func(m map[string]types.AttributeValue) { m["expires"] = n("1") }},
		{"a map", func(m map[string]types.AttributeValue) {
			clear(m)
			m["attributes"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"pos": n("2")}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := skill.ListenerID("amzn1.ask.account." + tc.name)
			item := good()
			tc.edit(item)
			item["listener"] = s(id)
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tb.Name()), Item: item}); err != nil {
				t.Fatal(err)
			}
			if p, ok, err := tb.Get(ctx, id); ok || err != nil {
				t.Fatalf("Get = %+v, %v, %v; want nothing", p, ok, err)
			}
			if err := tb.Put(ctx, id, place(9, time.Now())); err != nil {
				t.Fatal(err)
			}
			if p, ok, err := tb.Get(ctx, id); !ok || err != nil || p.Pos != 9 {
				t.Errorf("after a play, Get = %+v, %v, %v; want pos 9: the item overwritten", p, ok, err)
			}
		})
	}
}
