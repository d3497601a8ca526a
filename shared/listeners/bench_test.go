package listeners_test

import (
	"testing"
	"time"

	"github.com/jokebox/jokebox/shared/alexa"
)

// BenchmarkLaunch answers a LaunchRequest and its PlaybackStarted on a
// device, with the listeners table in moto: "token" is a device jokebox
// played last on (no call), "no-token" one on which another skill played
// since (one GetItem on the launch). Each op is a launch; the PlaybackStarted
// that follows (one PutItem) is outside the timer. It reports the DynamoDB
// reads and writes per launch. moto answers on loopback, so the added time
// is moto's, not DynamoDB's (single-digit milliseconds in one region).
func BenchmarkLaunch(b *testing.B) {
	for _, tc := range []struct {
		name  string
		token bool
	}{{"token", true}, {"no-token", false}} {
		b.Run(tc.name, func(b *testing.B) {
			s := newStack(b, true, time.Second)
			d := &device{id: "amzn1.ask.device.KITCHEN"}
			s.launch(b, d) // a first play: the listener has a place, the device a token
			before := s.proxy.Calls()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if !tc.token {
					d.anotherSkillPlayed()
				}
				resp := s.invoke(b, s.request(d, alexa.LaunchRequest, ""))
				b.StopTimer()
				token := playToken(resp)
				d.player = &alexa.AudioPlayerState{Token: token, PlayerActivity: alexa.Playing}
				s.invoke(b, s.request(d, alexa.PlaybackStarted, token))
				b.StartTimer()
			}
			calls := s.proxy.Calls().Sub(before)
			b.ReportMetric(float64(calls["GetItem"])/float64(b.N), "reads/op")
			b.ReportMetric(float64(calls["PutItem"])/float64(b.N), "writes/play")
		})
	}
}
