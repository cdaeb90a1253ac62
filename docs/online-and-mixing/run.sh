#!/usr/bin/env bash
# The runs behind the figures in docs/online-and-mixing.md. Usage: run.sh online|ai|hacking|eval|mix OUT
# (eval needs the online, ai and hacking runs).
# Env: DALIGN (the dalign command, default dalign), BASE (default models/shapes-base).
# Recipe for every policy: Diffusion-DPO, β 5000, 4 pairs per step, lr 2e-5, 10 warm-up steps: the
# on-policy choice of the study.
set -euo pipefail
stage=$1; out=$2
DALIGN=${DALIGN:-dalign}
BASE=${BASE:-models/shapes-base}
SEEDS="0 1 2"
RECIPE="--method dpo --beta 5000 --batch 4 --warmup 10"
G=64 ROUNDS=4 STEPS=80                 # gold budget, rounds and policy steps of the online-vs-offline runs
# A rerun after a stop skips every step whose output is complete (a model, a labelled pairs folder).
have() { [ -f "$1/model.safetensors" ] || [ -f "$1/labels.json" ]; }
case $stage in
mix) # one policy per half of the reward and one on the whole, then the mixture of the halves
  for half in alignment aesthetics true; do
    have $out/pairs-$half || $DALIGN pairs --model $BASE --n 200 --labeler $half --seed 1 --out $out/pairs-$half
    have $out/align-$half \
      || $DALIGN align $RECIPE --model $BASE --pairs $out/pairs-$half --steps 100 --out $out/align-$half
  done
  $DALIGN mix --model alignment=$out/align-alignment --model aesthetics=$out/align-aesthetics --weights auto \
    --compare true=$out/align-true --md-iterations 6 --md-samples 10 --seeds 6 --front 2 --out $out/mix
  $DALIGN eval --model base=$BASE --model alignment=$out/align-alignment --model aesthetics=$out/align-aesthetics \
    --model true=$out/align-true --model mix=$out/mix --baseline base --seeds 6 --out $out/mix-eval/results.json ;;
online) # online (4 rounds) against offline at the same gold labels spent; each round's policy is kept
  for s in $SEEDS; do
    have $out/online-s$s || $DALIGN align $RECIPE --model $BASE --online --gold-budget $G --rounds $ROUNDS \
      --reward-steps 100 --monitor-samples 32 --steps $STEPS --seed $s --out $out/online-s$s
    have $out/gold-s$s || $DALIGN pairs --model $BASE --n $G --seed $((100 + s)) --out $out/gold-s$s
    for r in $(seq 1 $ROUNDS); do # offline with the first g gold pairs and the steps online had taken by then
      g=$((G * r / ROUNDS))
      have $out/offline-s$s-g$g || $DALIGN align $RECIPE --model $BASE --pairs $out/gold-s$s --max-pairs $g \
        --steps $((STEPS * r / ROUNDS)) --seed $s --out $out/offline-s$s-g$g
    done
  done ;;
ai) # AI feedback: a reward model trained on the offline runs' gold pairs labels 4× as many fresh pairs
  for s in $SEEDS; do
    have $out/rm-s$s || $DALIGN reward train --pairs $out/gold-s$s --out $out/rm-s$s --steps 200 --seed $s
    have $out/ai-s$s || $DALIGN pairs --model $BASE --n $((4 * G)) --seed $((300 + s)) --labeler $out/rm-s$s \
      --out $out/ai-s$s
    have $out/ai-align-s$s \
      || $DALIGN align $RECIPE --model $BASE --pairs $out/ai-s$s --steps $STEPS --seed $s --out $out/ai-align-s$s
  done ;;
hacking) # the same strong optimisation (lr 1e-4, 160 steps, 4 rounds) against a weak and a strong reward model
  for arm in weak strong; do
    if [ $arm = weak ]; then g=8 rs=20; else g=128 rs=150; fi
    have $out/hacking-$arm || $DALIGN align $RECIPE --model $BASE --online --gold-budget $g --rounds 4 \
      --silver-per-round 64 --reward-steps $rs --monitor-samples 32 --steps 160 --lr 1e-4 --seed 0 \
      --out $out/hacking-$arm
  done ;;
eval) # every policy of online, ai and hacking against the base; a repeated name is a group of seed replicates
  models=(--model base=$BASE)
  for s in $SEEDS; do
    for r in $(seq 1 $ROUNDS); do
      g=$((G * r / ROUNDS))
      models+=(--model online-g$g=$out/online-s$s/rounds/round-00$r/policy --model offline-g$g=$out/offline-s$s-g$g)
    done
    models+=(--model ai=$out/ai-align-s$s)
  done
  models+=(--model hacking-weak=$out/hacking-weak --model hacking-strong=$out/hacking-strong)
  $DALIGN eval "${models[@]}" --baseline base --seeds 4 --out $out/eval/results.json
  series() { # NAME=NAME-g16@16,NAME-g32@32,...
    local text="$1=" r; for r in $(seq 1 $ROUNDS); do text+="$1-g$((G * r / ROUNDS))@$((G * r / ROUNDS)),"; done
    echo "${text%,}"; }
  $DALIGN plot --results $out/eval/results.json --series "$(series online)" --series "$(series offline)" \
    --x-label "gold labels spent" --title "Online vs offline at equal gold labels (3 seeds)" \
    --out $out/eval/online-vs-offline.png ;;
esac
