//! What removing someone costs: the rotation that follows (a fresh key sealed with HPKE to every
//! remaining device), for a home group of six people with three devices each (and a recovery key
//! each), and for a cohort of sixty; and what every other device then spends taking it in
//! (checking the log and opening its own envelope). Prints the operation's size; criterion
//! prints the times. Run with `cargo bench -p amplify --bench rotation` (or `./x bench`).

use std::hint::black_box;

use amplify::{
    DeviceKey, SpaceId,
    members::{Action, AgreementKey, MemberRole, Op, Recipient, State},
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// A device of a person: its keys.
struct Device {
    key: DeviceKey,
    agreement: AgreementKey,
    person: SpaceId,
}

/// A governed space of `people` people with `devices` devices each (a recovery key among
/// them), everyone added by the first device; the last person is then removed, so a rotation
/// is due. Returns the state and the devices.
fn space(people: usize, devices: usize) -> (State, Vec<Device>) {
    let all: Vec<Device> = (0..people * devices)
        .map(|i| Device {
            key: DeviceKey::generate(),
            agreement: AgreementKey::generate(),
            person: SpaceId([(i / devices) as u8; 32]),
        })
        .collect();
    let admin = &all[0];
    let genesis = Op::create_space(&admin.key, admin.agreement.public(), Some(admin.person), 0, 0);
    let mut state = State::new(genesis.space);
    state.add(genesis).unwrap();
    let (first, _) = state.rotate(&admin.key, 0);
    state.add(first).unwrap();
    for d in &all[1..] {
        let add = Action::Add {
            device: d.key.id(),
            agreement: d.agreement.public(),
            person: d.person,
            role: MemberRole::Writer,
            tag: 0,
        };
        state.add(Op::by_device(state.space(), state.heads(), 1, add, &admin.key)).unwrap();
    }
    let leaving = all.last().unwrap().person;
    for device in state.devices_of(leaving) {
        state
            .add(Op::by_device(state.space(), state.heads(), 2, Action::Remove { device }, &admin.key))
            .unwrap();
    }
    (state, all)
}

fn rotation(c: &mut Criterion) {
    for (name, people, devices) in
        [("home group, 6 people x (3 devices + recovery)", 6, 4), ("cohort, 60 people x 4", 60, 4)]
    {
        let (state, all) = space(people, devices);
        let admin = &all[0];
        let (op, _) = state.rotate(&admin.key, 3);
        let remaining = state.members().count();
        println!(
            "{name}: a rotation seals the key to {remaining} devices in one operation of {} bytes; \
             the whole log is {} bytes",
            op.encode().len(),
            state.ops().iter().map(|o| o.encode().len()).sum::<usize>() + op.encode().len(),
        );
        c.bench_function(&format!("rotate: {name}"), |b| b.iter(|| black_box(state.rotate(&admin.key, 3))));
        let reader = &all[1];
        c.bench_function(&format!("take in the rotation and open one's key: {name}"), |b| {
            b.iter_batched(
                || state.clone(),
                |mut state| {
                    state.add(op.clone()).unwrap();
                    black_box(state.keys_for(Recipient::Device(reader.key.id()), &reader.agreement))
                },
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = rotation
}
criterion_main!(benches);
