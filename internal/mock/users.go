package mock

import (
	"math/rand/v2"
	"strconv"
	"time"
)

var (
	familyNames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"}
	givenNames  = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "晨", "欣怡"}
	nickNames   = []string{"阿", "小", "大", "老"}
	letters     = "abcdefghijklmnopqrstuvwxyz"
)

// ExistingUserRow returns user_info row id of the users registered before
// the run. It depends on the id alone (not on the seed), so `rtdw mock init
// --users N` and every later run agree on these users.
func ExistingUserRow(id int64, now int64, loc *time.Location) Row {
	h := mix64(uint64(id) ^ 0x75736572) // "user"
	created := now - int64(1+h%700)*86_400_000 - int64(h>>32%86_400)*1000
	return userRow(id, h, created, loc)
}

// NewUserRow returns the row of a user registering at ts.
func NewUserRow(id int64, ts int64, loc *time.Location, r *rand.Rand) Row {
	return userRow(id, r.Uint64(), ts, loc)
}

func userRow(id int64, h uint64, created int64, loc *time.Location) Row {
	t := TableByName("user_info")
	row := t.NewRow()
	var login []byte
	for i := range 6 + int(h%5) {
		login = append(login, letters[(h>>(i*5))%26])
	}
	family := familyNames[(h>>20)%uint64(len(familyNames))]
	given := givenNames[(h>>28)%uint64(len(givenNames))]
	gender := "M"
	if h>>40&1 == 1 {
		gender = "F"
	}
	birth := time.Date(1960+int(h>>44%45), time.Month(1+h>>50%12), 1+int(h>>54%28), 0, 0, 0, 0, loc)
	row[t.Col("id")] = Int(id)
	row[t.Col("login_name")] = Str(string(login))
	row[t.Col("nick_name")] = Str(nickNames[(h>>36)%uint64(len(nickNames))] + given)
	row[t.Col("name")] = Str(family + given)
	row[t.Col("phone_num")] = Str(phone(h))
	row[t.Col("email")] = Str(string(login) + "@163.com")
	row[t.Col("user_level")] = Str(strconv.Itoa(1 + int(h>>58%3)))
	row[t.Col("birthday")] = Str(birth.Format(dateLayout))
	row[t.Col("gender")] = Str(gender)
	row[t.Col("create_time")] = Str(time.UnixMilli(created).In(loc).Format(datetimeLayout))
	return row
}

// phone returns a mobile number derived from h.
func phone(h uint64) string {
	prefixes := [...]string{"130", "135", "138", "139", "150", "158", "186", "188"}
	return prefixes[h%uint64(len(prefixes))] + strconv.FormatUint(10000000+(h>>8)%90000000, 10)
}

// ---------------------------------------------------------------------------
// Min-heaps of tasks on (ts, seq) and of outputs on (key, seq).

func (sh *Shop) push(t *task) {
	t.seq = sh.seq
	sh.seq++
	sh.tasks = heapPush(sh.tasks, t, taskLess)
}

func taskLess(a, b *task) bool { return a.ts < b.ts || a.ts == b.ts && a.seq < b.seq }

func (sh *Shop) popTask() *task {
	var top *task
	sh.tasks, top = heapPop(sh.tasks, taskLess)
	return top
}

func outLess(a, b *out) bool { return a.key < b.key || a.key == b.key && a.seq < b.seq }

func (sh *Shop) pushOut(o *out) {
	o.seq = sh.seq
	sh.seq++
	sh.outs = heapPush(sh.outs, o, outLess)
}

func (sh *Shop) popOut() *out {
	var top *out
	sh.outs, top = heapPop(sh.outs, outLess)
	return top
}
