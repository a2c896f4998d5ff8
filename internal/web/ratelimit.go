package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Per-user rate limits on the expensive routes (issue 20): a PDF is a Chromium render, a ZIP
// export re-verifies and packs whole histories, a CSV import parses and encrypts thousands of
// rows, and every API call with a token is a database round trip. One account, honest or
// stolen, must not be able to take the machine for itself. A token bucket per user and route
// class, in process (several instances each allow their own share).

// RateLimit is one class's bucket: Every is the time to earn one request, Burst the bucket size.
type RateLimit struct {
	Every time.Duration
	Burst int
}

// RateLimits are the buckets of the rate-limited route classes.
type RateLimits struct {
	PDF, Export, Import, API RateLimit
}

// DefaultRateLimits are generous for a person at a browser and for the load generator's API use,
// and stop a loop.
var DefaultRateLimits = RateLimits{
	PDF:    RateLimit{Every: 5 * time.Second, Burst: 10},
	Export: RateLimit{Every: 10 * time.Second, Burst: 5},
	Import: RateLimit{Every: 5 * time.Second, Burst: 5},
	API:    RateLimit{Every: 50 * time.Millisecond, Burst: 200},
}

var errRateLimited = &uiError{Code: "rate_limited", JA: "短時間に多くの要求がありました。しばらく待ってから再度お試しください（何も変更されていません）。",
	EN: "Too many requests in a short time. Wait a moment and try again (nothing was changed)."}

// userLimiter holds one bucket per user for a class.
type userLimiter struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	users map[int64]*userBucket
}

type userBucket struct {
	l    *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the map; past it, buckets idle long enough to be full again are dropped.
const maxBuckets = 10_000

func newUserLimiter(l RateLimit) *userLimiter {
	return &userLimiter{limit: rate.Every(l.Every), burst: l.Burst, users: map[int64]*userBucket{}}
}

// allow takes one token for user id at now; when the bucket is empty it reports how long until
// one is available (nothing is taken then).
func (u *userLimiter) allow(id int64, now time.Time) (bool, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := u.users[id]
	if b == nil {
		if len(u.users) >= maxBuckets {
			full := time.Duration(float64(u.burst) / float64(u.limit) * float64(time.Second))
			for k, v := range u.users {
				if now.Sub(v.seen) > full {
					delete(u.users, k)
				}
			}
		}
		b = &userBucket{l: rate.NewLimiter(u.limit, u.burst)}
		u.users[id] = b
	}
	b.seen = now
	res := b.l.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimit is the middleware of one class: 429 with Retry-After (whole seconds, at least 1)
// when the user's bucket is empty. It runs after authentication; anonymous requests pass (they
// are refused by the authentication in front of it).
func (s *Server) rateLimit(l *userLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u := currentUser(r.Context()); u != nil {
				if ok, wait := l.allow(u.ID, time.Now()); !ok { // wall time: tests may fix s.now
					w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
					s.log.Warn("rate limited", "user_id", u.ID, "route", r.URL.Path, "request_id", requestID(r.Context()))
					s.fail(w, r, http.StatusTooManyRequests, errRateLimited)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limiters are the server's buckets per class.
type limiters struct {
	pdf, export, imp, api *userLimiter
}

func newLimiters(l RateLimits) limiters {
	return limiters{pdf: newUserLimiter(l.PDF), export: newUserLimiter(l.Export), imp: newUserLimiter(l.Import), api: newUserLimiter(l.API)}
}
